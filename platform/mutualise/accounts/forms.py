"""The sign-in form."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mutualise.access import Outcome, Policy, decide, rights_of
from mutualise.services import request_services


class LoginForm(AuthenticationForm):
    """Django's sign-in form, with the e-mail checked for length before anything looks it up or records it."""

    username = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect. Les deux champs tiennent compte des majuscules."),
        "no_access": _(
            "Ce compte n'a pas accès à cet espace. Connectez-vous à l'adresse de votre commune, ou demandez un accès "
            "au référent de la commune ou à l'intercommunalité."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        """Refuse the sign-in, before any session exists, to someone who has no right in this space."""
        super().confirm_login_allowed(user)
        commune = getattr(self.request, "commune", None)
        enabled = request_services(self.request)
        if decide(Policy.SPACE, rights_of(user), commune=commune, enabled=enabled) is not Outcome.ALLOW:
            raise ValidationError(self.error_messages["no_access"], code="no_access")
