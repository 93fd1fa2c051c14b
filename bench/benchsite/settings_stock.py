"""Variant (b): as (a), with django-tenants' stock ``TenantMainMiddleware`` in place of ours.

The stock middleware looks the host up in the domain table (one query per request, on the public schema) and needs
no public tenant row for a commune's host: only the console's host would need one (it is not measured).
"""

from benchsite.settings_ours import *  # noqa: F403
from benchsite.settings_ours import MIDDLEWARE

MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware" if name == "mutualise.middleware.TenantMiddleware" else name
    for name in MIDDLEWARE
]
