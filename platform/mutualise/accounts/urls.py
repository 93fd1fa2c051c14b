"""Sign-in, password reset and API token pages, the same on every host."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from mozilla_django_oidc import urls as oidc_urls

from mutualise.access import Policy, access
from mutualise.accounts import oidc, views
from mutualise.accounts.forms import LoginForm

public = access(Policy.PUBLIC)

urlpatterns = [
    path(
        "connexion/",
        # A template calls a callable variable: the page asks at each display whether ProConnect is on.
        public(
            auth_views.LoginView.as_view(
                redirect_authenticated_user=True,
                authentication_form=LoginForm,
                extra_context={"oidc_enabled": oidc.is_enabled},
            )
        ),
        name="login",
    ),
    path("deconnexion/", public(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "mot-de-passe/oubli/",
        public(auth_views.PasswordResetView.as_view(success_url=reverse_lazy("password_reset_done"))),
        name="password_reset",
    ),
    path("mot-de-passe/oubli/envoye/", public(auth_views.PasswordResetDoneView.as_view()), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        public(auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("password_reset_complete"))),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        public(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("compte/jetons/", views.tokens, name="tokens"),
    path("compte/jetons/<int:pk>/revoquer/", views.revoke, name="token_revoke"),
    # ProConnect's routes (mozilla-django-oidc's, with their names), on every host: the redirect URI is built from
    # the request's host. They always exist and answer 404 while ProConnect is off, rather than being included only
    # when it is on: URL configurations are read once per process, and the tests switch ProConnect on afterwards.
    path(
        "oidc/",
        include(
            [
                path(str(route.pattern), public(oidc.only_when_enabled(route.callback)), name=route.name)
                for route in oidc_urls.urlpatterns
            ]
        ),
    ),
    # The person's profile (/compte/), invitations and a commune's people: mutualise.accounts.personal_urls.
    path("", include("mutualise.accounts.personal_urls")),
]
