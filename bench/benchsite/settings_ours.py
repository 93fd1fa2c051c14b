"""Variant (a): the product's settings and middleware stack, our ``TenantMiddleware`` first; the bench URLconf."""

import os

from mutualise.settings import *  # noqa: F403
from mutualise.settings import DATABASES

ROOT_URLCONF = "benchsite.urls"

# Lets the bench find this server's PostgreSQL processes (pg_stat_activity) and add up their CPU time.
if application_name := os.environ.get("BENCH_APPLICATION_NAME"):
    DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = application_name
