"""Production settings: Django's deployment check is clean, and pages carry a strict Content-Security-Policy.

The check runs in a separate process with the environment of a production install (DEBUG off, a real secret key,
https), on the product's own settings (not the test ones).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "platform", ROOT / "plugins", ROOT / "tenants", ROOT / "tests" / "thirdparty"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)


def production_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MUTUALISE_") and key not in ("DJANGO_SETTINGS_MODULE", "PYTHONPATH")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mutualise.settings",
        PYTHONPATH=os.pathsep.join(sys.path),
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        MUTUALISE_SECRET_KEY=secrets.token_urlsafe(50),
        MUTUALISE_BASE_DOMAIN="services.cc-vallee-herault.fr",
        MUTUALISE_DATA_DIR=os.environ.get("MUTUALISE_DATA_DIR", str(ROOT / "var")),
    )
    env.update(extra)
    return env


def check_deploy(**extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(**extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_in_production():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_deploy_check_is_clean_behind_a_reverse_proxy():
    result = check_deploy(MUTUALISE_BEHIND_PROXY="1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_https_settings_follow_the_environment():
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    production = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert production.stdout.split() == ["True", "31536000", "True", "True"], production.stderr
    demo = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env=production_env(MUTUALISE_BASE_DOMAIN="localhost:8000"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.stdout.split() == ["False", "0", "False", "False"], demo.stderr  # the local demo on http


def test_pages_carry_a_strict_content_security_policy(commune, commune_agent, client_on):
    response = client_on(commune, commune_agent).get("/")
    assert response.status_code == 200
    policy = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in response["Content-Security-Policy"].split(";") if part
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    # htmx is told not to inject its inline style (the policy would block it)
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in response.content.decode()


def templates() -> list[Path]:
    return [path for folder in TEMPLATE_DIRS for path in folder.rglob("templates/**/*.html")]


def test_no_template_has_an_inline_script_a_handler_or_a_style_attribute():
    found = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE):
            found += [f"{path.relative_to(ROOT)}: {match.group(0)[:80]}" for match in pattern.finditer(text)]
    assert len(templates()) > 50
    assert found == []


def test_the_deploy_settings_are_the_products():
    # the test settings inherit them: what the tests exercise is what production runs
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert "mutualise.middleware.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE  # django-csp's


def test_gunicorn_runs_with_the_products_settings():
    # The README's command; each worker on its own socket, so that a proxy's keep-alive connections are spread over
    # the workers (gunicorn's shared socket can leave them all on one: docs/performance.md, tenancy overhead).
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "gunicorn -c python:mutualise.gunicorn_conf mutualise.wsgi" in readme
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "python:mutualise.gunicorn_conf", "--print-config", "mutualise.wsgi"],
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.MULTILINE))
    assert config["reuse_port"] == "True"
    assert config["keepalive"] == "30"


def test_the_policy_built_once_is_django_csps_and_follows_its_settings():
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    from mutualise.middleware import ContentSecurityPolicyMiddleware

    def headers(middleware_class, **response_attributes) -> dict:
        request = RequestFactory().get("/")
        middleware = middleware_class(lambda request: HttpResponse("ok"))
        middleware.process_request(request)
        response = HttpResponse("ok")
        for name, value in response_attributes.items():
            setattr(response, name, value)
        response = middleware.process_response(request, response)
        return {name: response.get(name) for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")}

    ours, theirs = headers(ContentSecurityPolicyMiddleware), headers(CSPMiddleware)
    assert ours == theirs and "frame-ancestors 'none'" in ours["Content-Security-Policy"]
    assert headers(ContentSecurityPolicyMiddleware) == theirs  # built once, the same
    stricter = {"DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=stricter, CONTENT_SECURITY_POLICY_REPORT_ONLY=stricter):
        assert headers(ContentSecurityPolicyMiddleware) == headers(CSPMiddleware)
        assert headers(ContentSecurityPolicyMiddleware)["Content-Security-Policy-Report-Only"] == "default-src 'none'"
    assert headers(ContentSecurityPolicyMiddleware) == theirs  # the settings back, the policy back
    # A view that changes its own policy gets django-csp's handling.
    update = {"_csp_update": {"img-src": ["https://tuiles.example.fr"]}}
    assert "https://tuiles.example.fr" in headers(ContentSecurityPolicyMiddleware, **update)["Content-Security-Policy"]
    assert headers(ContentSecurityPolicyMiddleware, _csp_exempt=True)["Content-Security-Policy"] is None
