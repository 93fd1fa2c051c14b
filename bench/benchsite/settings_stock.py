"""Variant (b): django-tenants as shipped: its ``TenantMainMiddleware`` in place of ours, and its own database backend
in place of the product's (``mutualise.postgresql_backend``).

The stock middleware looks the host up in the domain table (one query per request, on the public schema) and needs
no public tenant row for a commune's host: only the console's host would need one (it is not measured).
"""

from benchsite.settings_ours import *  # noqa: F403
from benchsite.settings_ours import DATABASES, MIDDLEWARE

MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware" if name == "mutualise.middleware.TenantMiddleware" else name
    for name in MIDDLEWARE
]
DATABASES = {"default": {**DATABASES["default"], "ENGINE": "django_tenants.postgresql_backend"}}
