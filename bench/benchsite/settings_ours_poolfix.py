"""Variant (a′), pool mode only: as (a), on a backend that skips the per-request ``SET search_path`` of a pooled
connection already on the right path (a sketch, see ``benchsite/pooled_tenant_backend``)."""

from benchsite.settings_ours import *  # noqa: F403
from benchsite.settings_ours import DATABASES

DATABASES = {"default": {**DATABASES["default"], "ENGINE": "benchsite.pooled_tenant_backend"}}
