"""Test settings: the product's own, plus a third-party service plugin installed from tests/thirdparty.

The plugin is a separate distribution (its own dist-info with an entry point), found exactly as a package installed
with pip would be: putting its folder on the import path is all it takes.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "thirdparty"))

from mutualise.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins; tests never store real ones
# A process re-reads the communes directory only when a test asks for it (tests that need it set 0).
MUTUALISE_TENANT_CACHE_CHECK_SECONDS = 3600
