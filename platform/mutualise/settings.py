"""Settings, read from environment variables with safe defaults.

With no configuration at all the product runs on one machine: an embedded PostgreSQL in the data folder, tasks run
inline, e-mail printed on the console, cache in memory, DEBUG off. See the README for every variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from mutualise.plugins import get_registry


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    return default if not value else value.lower() in {"1", "true", "yes", "on", "oui"}


def env_list(name: str) -> list[str]:
    return [item.strip() for item in env(name).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("MUTUALISE_DATA_DIR") or Path.cwd() / "var").resolve()

DEBUG = env_bool("MUTUALISE_DEBUG")


def _secret_key() -> str:
    if key := env("MUTUALISE_SECRET_KEY"):
        return key
    # One key per data folder, kept across restarts so that sessions survive them.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# -- Hosts: the community lives on the base domain, each commune on <slug>.<base domain> ----------------------------
MUTUALISE_BASE_DOMAIN = env("MUTUALISE_BASE_DOMAIN", "localhost:8000").lower()
MUTUALISE_URL_SCHEME = env(
    "MUTUALISE_URL_SCHEME", "https" if not DEBUG and "localhost" not in MUTUALISE_BASE_DOMAIN else "http"
)
_base_host = MUTUALISE_BASE_DOMAIN.split(":")[0]
ALLOWED_HOSTS = [_base_host, f".{_base_host}", *env_list("MUTUALISE_ALLOWED_HOSTS")]
# Seconds a process may serve from its host→commune map before checking it is still current.
MUTUALISE_TENANT_CACHE_CHECK_SECONDS = float(env("MUTUALISE_TENANT_CACHE_CHECK_SECONDS", "1"))

# -- Services: every installed plugin, or those named in MUTUALISE_PLUGINS -------------------------------------------
SERVICE_REGISTRY = get_registry()
SERVICE_APPS = [service.app for service in SERVICE_REGISTRY]
# The intercommunality's own records of some services, in the public schema only (see ServiceInfo.shared_app).
SERVICE_SHARED_APPS = [service.info.shared_app for service in SERVICE_REGISTRY if service.info.shared_app]

SHARED_APPS = [
    "mutualise",  # first: its `migrate` command also keeps the commune template schema current
    "django_tenants",
    "tenants",
    "mutualise.accounts",
    "django.contrib.postgres",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our static files
    "csp",
    "django_htmx",
    "template_partials",
    "axes",
    *SERVICE_SHARED_APPS,
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "mutualise.demandes",
    *SERVICE_APPS,
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Commune"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# Provisioning clones this schema, kept at the latest migrations of every tenant app.
MUTUALISE_TEMPLATE_SCHEMA = "_modele_commune"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mutualise.middleware.ContentSecurityPolicyMiddleware",  # django-csp's, the policy built once
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files belong to no commune: served before any tenant
    "mutualise.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "mutualise.middleware.HostBoundAuthenticationMiddleware",
    "mutualise.middleware.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "mutualise.urls_commune"
PUBLIC_SCHEMA_URLCONF = "mutualise.urls_community"
WSGI_APPLICATION = "mutualise.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mutualise.context_processors.space",
            ],
        },
    },
]

# -- Database -------------------------------------------------------------------------------------------------------
if database_url := env("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(database_url, conn_max_age=60)}
else:
    from mutualise import embedded

    DATABASES = {"default": {**embedded.start(DATA_DIR), "CONN_MAX_AGE": 60}}
# django-tenants' backend, which also knows the search path of each pooled connection (mutualise.postgresql_backend).
DATABASES["default"]["ENGINE"] = "mutualise.postgresql_backend"
if env_bool("MUTUALISE_DB_POOL"):
    # psycopg's pool (Django ≥ 5.1): connections are reused across requests, so persistent ones are off.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(env("MUTUALISE_DB_POOL_MIN", "2")),
        "max_size": int(env("MUTUALISE_DB_POOL_MAX", "10")),
    }
DATABASES["default"].setdefault("TEST", {})["NAME"] = env("MUTUALISE_TEST_DATABASE", "test_mutualise")
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- Cache, tasks, e-mail -------------------------------------------------------------------------------------------
# Every key is prefixed with the schema of the connection: a commune never reads another commune's entries.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_PREFIX": "mutualise",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    }
}
if cache_url := env("MUTUALISE_CACHE_URL"):
    CACHES["default"].update(BACKEND="django.core.cache.backends.redis.RedisCache", LOCATION=cache_url)

CELERY_BROKER_URL = env("CELERY_BROKER_URL")
# No broker: tasks run inline, in the process that queues them.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Europe/Paris"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process lost mid-task (killed, out of memory) gives its message back: the task runs again.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BEAT_SCHEDULE = {
    # Tasks whose message could not reach the broker when their change committed (mutualise.outbox).
    "outbox-relais": {"task": "mutualise.outbox.relay", "schedule": 60},
    # Reminders before a demande's deadline, escalation after it (services' own tasks are added by the plugins).
    "demandes-echeances": {"task": "mutualise.demandes.check_deadlines", "schedule": 600},
}

if email_host := env("MUTUALISE_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = email_host
    EMAIL_PORT = int(env("MUTUALISE_EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("MUTUALISE_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env("MUTUALISE_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("MUTUALISE_EMAIL_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("MUTUALISE_EMAIL_FROM", "Mutualise <ne-pas-repondre@localhost>")

# -- Accounts -------------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out login before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
# Brute force: 5 failures for one e-mail from one address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = int(env("MUTUALISE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field, whatever the user model calls it
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_ENGINE = "mutualise.accounts.sessions"  # Django's database sessions, loaded with less work
# Cookies belong to the exact host that set them: a commune's session is never sent to another commune.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = MUTUALISE_URL_SCHEME == "https"

# -- API ------------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "mutualise.openapi.ApiSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mutualise.api.ApiTokenAuthentication",  # first, so that an anonymous call gets 401 and not 403
        "rest_framework.authentication.SessionAuthentication",  # host-bound: see HostBoundAuthenticationMiddleware
    ],
    "DEFAULT_PERMISSION_CLASSES": ["mutualise.api.PolicyPermission"],
    "EXCEPTION_HANDLER": "mutualise.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Mutualise",
    "DESCRIPTION": "L'API d'un espace : celle d'une commune sur son adresse, celle de la communauté sur la sienne. "
    "Authentification par jeton personnel (« Authorization: Bearer mut_… »), valable sur un seul espace. "
    "Les erreurs sont en JSON : « detail » (message en français) et « code » ; un corps refusé donne les "
    "messages de chaque champ.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package: our own static files, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The two 1–5 scales of a demande (urgency, impact) share one enum.
    "ENUM_NAME_OVERRIDES": {"NiveauEnum": "mutualise.demandes.rules.Level"},
    "COMPONENT_SPLIT_REQUEST": True,  # read-only fields stay out of the request bodies
    # Docstrings are written for developers, in English; the API's readers get the French summaries instead.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
}

# -- Language, time, static files ----------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("MUTUALISE_STATIC_ROOT") or DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Without a collectstatic run (development, demo), static files are served straight from the apps.
WHITENOISE_USE_FINDERS = not (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "mutualise.files.CommuneFileStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not WHITENOISE_USE_FINDERS
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "fichiers"
MEDIA_URL = "/fichiers/"  # served by mutualise.files.serve, never straight from the disk

SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_FAILURE_VIEW = "mutualise.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"

# -- HTTPS and browser security (`python -m django check --deploy` is clean; see docs/reliability.md) ---------------
# On https (the default unless the base domain is localhost): redirect http to https, HSTS for the base domain and
# every commune's subdomain, secure cookies (above). The local demo on http keeps all of them off.
_https = MUTUALISE_URL_SCHEME == "https"
SECURE_SSL_REDIRECT = env_bool("MUTUALISE_SSL_REDIRECT", _https)
SECURE_REDIRECT_EXEMPT = [r"^sante/$"]  # a load balancer's health check may come over plain http
if env_bool("MUTUALISE_BEHIND_PROXY"):
    # TLS ends at the reverse proxy, which must set this header itself (and drop any the client sent).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(env("MUTUALISE_HSTS_SECONDS", "31536000" if _https else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True  # every commune is a subdomain of the base domain
SECURE_HSTS_PRELOAD = env_bool("MUTUALISE_HSTS_PRELOAD", _https)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# django-csp 4. Scripts and styles come only from our own static files: no inline <script>, no on…= attribute, no
# style attribute (htmx's indicator style is in mutualise.css: see the htmx-config meta tag in base.html).
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Swagger UI's icons
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "mutualise": {"handlers": ["console"], "level": env("MUTUALISE_LOG_LEVEL", "INFO")},
        "tenants": {"handlers": ["console"], "level": env("MUTUALISE_LOG_LEVEL", "INFO")},
    },
}

# django-tenants issues `SET search_path` only when the schema of the connection changes, not on every cursor.
TENANT_LIMIT_SET_CALLS = True

# == ProConnect (OpenID Connect login) — begin ======================================================================
# Optional, on when MUTUALISE_OIDC_CLIENT_ID is set; the local login stays. The provider's endpoints come from its
# discovery document, read at the first ProConnect login of each process (mutualise.accounts.oidc): a provider that
# is down makes ProConnect unavailable for a while, never the site. The OIDC routes always exist and answer 404
# while this is off (mutualise.accounts.urls), so that a test can switch it on with these same settings.
MUTUALISE_OIDC_ENABLED = False
# Our views (French messages, provider read on first use); mozilla-django-oidc reads these when its URLs load.
OIDC_AUTHENTICATE_CLASS = "mutualise.accounts.oidc.AuthenticateView"
OIDC_CALLBACK_CLASS = "mutualise.accounts.oidc.CallbackView"


def oidc_settings(client_id: str, client_secret: str, issuer: str) -> dict:
    """The settings that switch the OpenID Connect login on, for the provider whose issuer address is ``issuer``."""
    from django.core.exceptions import ImproperlyConfigured

    if not issuer:
        raise ImproperlyConfigured("MUTUALISE_OIDC_ISSUER est obligatoire quand MUTUALISE_OIDC_CLIENT_ID est défini.")
    return {
        "MUTUALISE_OIDC_ENABLED": True,
        "MUTUALISE_OIDC_ISSUER": issuer.rstrip("/"),  # the backend checks the `iss` of the tokens against it
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": client_secret,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": "openid email given_name usual_name siret siren",  # ProConnect: one scope per claim
        "OIDC_TIMEOUT": 10,
        # Appended: axes stays first, so that a locked-out person is refused before any backend runs.
        "AUTHENTICATION_BACKENDS": [*AUTHENTICATION_BACKENDS, "mutualise.accounts.oidc.ProConnectBackend"],
    }


if env("MUTUALISE_OIDC_CLIENT_ID"):
    globals().update(
        oidc_settings(
            env("MUTUALISE_OIDC_CLIENT_ID"), env("MUTUALISE_OIDC_CLIENT_SECRET"), env("MUTUALISE_OIDC_ISSUER")
        )
    )
# == ProConnect (OpenID Connect login) — end ========================================================================
