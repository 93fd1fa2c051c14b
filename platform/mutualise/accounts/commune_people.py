"""A commune's people, managed from the commune's space by its référents (``/commune/utilisateurs/``).

A référent invites people into their own commune, changes their commune role or removes them from the commune:
commune roles only, never a service role, the administrator flag or the account itself. The commune is always
the one of the host; nothing in the request can name another.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mutualise.access import Policy, access
from mutualise.accounts import invitations
from mutualise.accounts.console import report_sending
from mutualise.accounts.models import CommuneMembership, Invitation
from mutualise.accounts.people_forms import COMMUNE_ROLES, COMMUNE_ROLES_HELP, CommuneInviteForm, RoleForm

referent_only = access(Policy.REFERENT)


def _commune(request: HttpRequest):
    commune = getattr(request, "commune", None)
    if commune is None:
        raise Http404  # the console manages people in "Utilisateurs et rôles"
    return commune


def _invitations(commune):
    """The commune's pending invitations a référent may manage: those granting a commune role and nothing else."""
    return (
        Invitation.objects.pending()
        .filter(commune=commune, service="", is_admin=False)
        .exclude(commune_role="")
        .select_related("commune", "created_by")
        .order_by("-sent_at", "-id")
    )


def _members(commune):
    return (
        CommuneMembership.objects.filter(commune=commune)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


@referent_only
def people(request: HttpRequest) -> HttpResponse:
    commune = _commune(request)
    return render(
        request,
        "accounts/commune_people.html",
        {
            "members": _members(commune),
            "invitations": invitations.with_roles(_invitations(commune)),
            "roles": COMMUNE_ROLES,
            "roles_help": COMMUNE_ROLES_HELP,
            "now": timezone.now(),
        },
    )


@referent_only
def invite(request: HttpRequest) -> HttpResponse:
    commune = _commune(request)
    form = CommuneInviteForm(request.POST or None, commune=commune)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invitation, sent = invitations.create_invitation(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            commune=commune,
            commune_role=data["commune_role"],
            created_by=request.user,
        )
        report_sending(request, invitation, sent)
        return redirect("commune_people")
    return render(request, "accounts/commune_invite.html", {"form": form})


def _own_membership(request: HttpRequest, membership: CommuneMembership) -> bool:
    if membership.user_id == request.user.pk:
        messages.error(
            request,
            _(
                "Vous ne pouvez pas modifier votre propre rôle : demandez-le à un autre référent ou à l'intercommunalité."
            ),
        )
        return True
    return False


@referent_only
@require_POST
def change_role(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the commune role of one of the commune's people (``pk``: the person)."""
    commune = _commune(request)
    with transaction.atomic():
        membership = get_object_or_404(
            CommuneMembership.objects.select_for_update().select_related("user"), commune=commune, user_id=pk
        )
        if _own_membership(request, membership):
            return redirect("commune_people")
        form = RoleForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Rôle inconnu : rien n'a été modifié."))
            return redirect("commune_people")
        if membership.role != form.cleaned_data["role"]:
            membership.role = form.cleaned_data["role"]
            membership.save(update_fields=["role"])  # audited by the accounts signals
    messages.success(
        request,
        _("%(person)s est désormais « %(role)s ».")
        % {"person": membership.user, "role": membership.get_role_display()},
    )
    return redirect("commune_people")


@referent_only
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of the commune's people from the commune (their account and other roles stay)."""
    commune = _commune(request)
    membership = get_object_or_404(CommuneMembership.objects.select_related("user"), commune=commune, user_id=pk)
    if _own_membership(request, membership):
        return redirect("commune_people")
    membership.delete()  # audited by the accounts signals
    messages.success(request, _("%(person)s n'a plus accès à l'espace de la commune.") % {"person": membership.user})
    return redirect("commune_people")


@referent_only
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(_invitations(_commune(request)), pk=pk)
    report_sending(request, invitation, invitations.resend_invitation(invitation, actor=request.user))
    return redirect("commune_people")


@referent_only
@require_POST
def invitation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(_invitations(_commune(request)), pk=pk)
    invitations.cancel_invitation(invitation, actor=request.user)
    messages.success(request, _("L'invitation de %(email)s est annulée.") % {"email": invitation.email})
    return redirect("commune_people")
