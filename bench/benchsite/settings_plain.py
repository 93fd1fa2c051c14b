"""Variant (c): no tenancy. Django's own PostgreSQL backend on the same database, no tenant middleware.

The connection's search path is fixed when it is opened (``BENCH_SCHEMA``, then ``public``), so the view reads the
same commune table as (a) and (b) with nothing done per request. The rest of the middleware stack is the product's,
so that the difference between the variants is the tenancy alone. The cache key function of django-tenants reads
the connection's schema, which this backend does not have: Django's default one is used.
"""

import os

from benchsite.settings_ours import *  # noqa: F403
from benchsite.settings_ours import CACHES, DATABASES, MIDDLEWARE

MIDDLEWARE = [name for name in MIDDLEWARE if name != "mutualise.middleware.TenantMiddleware"]

_schema = os.environ["BENCH_SCHEMA"]
_options = dict(DATABASES["default"].get("OPTIONS", {}))
_options["options"] = f"-c search_path={_schema},public"
DATABASES = {"default": {**DATABASES["default"], "ENGINE": "django.db.backends.postgresql", "OPTIONS": _options}}
CACHES = {"default": {key: value for key, value in CACHES["default"].items() if key != "KEY_FUNCTION"}}
