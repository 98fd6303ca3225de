"""The Watchfloor tool API: the JSON that remote detection tools serve and accept (version 1).

Documented as OpenAPI in ``resources/toolapi/openapi-v1.json``, generated from these models so
that the document and the validation can never disagree.
"""

API_VERSION = "1"
