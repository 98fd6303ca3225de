"""Incidents: alerts that are one situation, handled as one, with a log, tasks and a status.

``messages`` holds what panels send and receive, ``service`` the thread that carries the
commands out, ``operations`` what each command does, ``repository`` the versioned writes,
``log_text`` the log lines in the reader's language, ``sop_tasks`` the SOP checklist steps an
incident's alerts call for, ``states`` the incident's life.
"""
