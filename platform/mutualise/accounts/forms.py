"""The sign-in form."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's sign-in form, with the e-mail checked for length before anything looks it up or records it."""

    username = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect. Les deux champs tiennent compte des majuscules."),
    }
