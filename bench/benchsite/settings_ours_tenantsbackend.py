"""Variant (a′), pool mode only: as (a), on django-tenants' own backend instead of the product's, which sets the
search path again on every request's pooled connection: what ``mutualise.postgresql_backend`` saves."""

from benchsite.settings_ours import *  # noqa: F403
from benchsite.settings_ours import DATABASES

DATABASES = {"default": {**DATABASES["default"], "ENGINE": "django_tenants.postgresql_backend"}}
