"""Sign-in, password reset and API token pages, the same on every host."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from mutualise.access import Policy, access
from mutualise.accounts import views

public = access(Policy.PUBLIC)

urlpatterns = [
    path("connexion/", public(auth_views.LoginView.as_view(redirect_authenticated_user=True)), name="login"),
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
]
