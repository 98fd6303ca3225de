"""Who may do what, and proof of what was done: accounts and sign-in, roles and routing
policies, the hash-chained audit log, unmasking, retention, secrets and column encryption.

Qt-free like the rest of ``app/``: the console's widgets only hide what a role may not do; the
core refuses it whatever a panel sends (``Core.submit`` asks ``SecurityService.authorize``).
"""
