"""Browser tests: the demo served by a real server, used through Chromium (see conftest.py)."""
