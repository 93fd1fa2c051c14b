"""Sign-in pages and the person's own API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from mutualise.access import Policy, access
from mutualise.accounts.models import ApiToken
from mutualise.accounts.tokens import issue_token, revoke_token


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"),
        max_length=100,
        help_text=_("Pour le reconnaître plus tard, par exemple « Export vers le tableur de la mairie »."),
    )


def _space_tokens(request: HttpRequest):
    commune = getattr(request, "commune", None)
    return ApiToken.objects.filter(user=request.user, commune=commune, revoked_at__isnull=True)


@access(Policy.PERSONAL)
def tokens(request: HttpRequest) -> HttpResponse:
    """The person's API tokens for this space; creating one shows it once."""
    created = None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _record, created = issue_token(request.user, form.cleaned_data["name"], getattr(request, "commune", None))
        form = TokenForm()
    return render(request, "accounts/tokens.html", {"form": form, "tokens": _space_tokens(request), "created": created})


@access(Policy.PERSONAL)
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(_space_tokens(request), pk=pk)
    revoke_token(token, actor=request.user)
    messages.success(request, _("Le jeton « %(name)s » est révoqué.") % {"name": token.name})
    return redirect("tokens")
