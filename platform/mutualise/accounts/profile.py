"""The person's own pages, on every host (``/compte/``), and the acceptance of an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from mutualise import audit
from mutualise.access import Policy, access
from mutualise.accounts import invitations
from mutualise.accounts.models import Invitation, User
from mutualise.accounts.notifications import preferences_of, save_preferences
from mutualise.accounts.people_forms import (
    ChoosePasswordForm,
    ConfirmPasswordForm,
    IdentityForm,
    NotificationForm,
    ProfilePasswordChangeForm,
)

personal = access(Policy.PERSONAL)


def _render_profile(request: HttpRequest, *, identity_form=None, notification_form=None, status=200):
    user = request.user
    memberships = user.commune_memberships.select_related("commune").order_by("commune__name")
    services = list(user.service_memberships.order_by("service"))
    for membership in services:
        membership.label = invitations.service_label(membership.service)
    return render(
        request,
        "accounts/profile.html",
        {
            "identity_form": identity_form or IdentityForm(instance=user),
            "notification_form": notification_form or NotificationForm(current=preferences_of(user)),
            "memberships": memberships,
            "services": services,
            "console_url": invitations.console_url() if user.is_staff or services else None,
        },
        status=status,
    )


@personal
def profile(request: HttpRequest) -> HttpResponse:
    """My identity (the name is editable), my spaces, my tokens, my e-mail preferences."""
    if request.method == "POST":
        user = User.objects.get(pk=request.user.pk)
        before = {"prenom": user.first_name, "nom": user.last_name}
        form = IdentityForm(request.POST, instance=user)
        if not form.is_valid():
            return _render_profile(request, identity_form=form, status=400)
        form.save()
        audit.record(
            "compte.modifie",
            actor=user,
            target=user.email,
            before=before,
            after={"prenom": user.first_name, "nom": user.last_name},
        )
        messages.success(request, _("Votre nom est enregistré."))
        return redirect("profile")
    return _render_profile(request)


@personal
def notifications(request: HttpRequest) -> HttpResponse:
    """The e-mails the person accepts, service by service (the form is shown on the profile page)."""
    if request.method != "POST":
        return redirect("profile")
    form = NotificationForm(request.POST, current=preferences_of(request.user))
    if not form.is_valid():
        return _render_profile(request, notification_form=form, status=400)
    save_preferences(request.user, form.choices())
    messages.success(request, _("Vos préférences de notification sont enregistrées."))
    return redirect("profile")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, in French; the session stays open on this host."""

    template_name = "accounts/password_change.html"
    form_class = ProfilePasswordChangeForm
    success_url = reverse_lazy("profile")
    title = gettext_lazy("Changer de mot de passe")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("mot_de_passe.modifie", actor=self.request.user, target=self.request.user.email)
        messages.success(self.request, _("Votre mot de passe est modifié."))
        return response


password_change = personal(PasswordChangeView.as_view())


# -- Accepting an invitation (public: the person has no session yet) ------------------------------------------------


def _invalid(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(request, "accounts/invitation_invalid.html", {"reason": reason}, status=status)


@access(Policy.PUBLIC)
@never_cache
@sensitive_post_parameters()
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Choose a password (or confirm one's own), receive the roles, and be signed in on this host."""
    commune = getattr(request, "commune", None)
    invitation = invitations.find_invitation(token)
    reason = invitations.problem_with(invitation, commune)
    if reason is not None:
        return _invalid(request, reason, 404 if invitation is None else 410)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    form = _acceptance_form(invitation, existing, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                # Locked and checked again: two submissions at once accept it once.
                invitation = (
                    Invitation.objects.select_for_update(of=("self",))
                    .select_related("commune", "created_by")
                    .get(pk=invitation.pk)
                )
                reason = invitations.problem_with(invitation, commune)
                if reason is not None:
                    return _invalid(request, reason, 410)
                user = form.save()
                invitations.grant(invitation, user)
                invitations.mark_accepted(invitation, user, created=existing is None)
        except IntegrityError:  # the account was created meanwhile, by another path: nothing was written
            return _invalid(request, _("Cette invitation n'a pas pu être acceptée : ouvrez de nouveau le lien."), 409)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # binds the session to the host
        messages.success(request, _("Bienvenue : votre compte est prêt et vous êtes connecté."))
        return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "roles": invitations.roles_summary(invitation),
            "existing": existing is not None and existing.has_usable_password(),
        },
    )


def _acceptance_form(invitation: Invitation, existing: User | None, data):
    if existing is not None and existing.has_usable_password():
        return ConfirmPasswordForm(existing, data)
    user = existing or User(email=invitation.email, first_name=invitation.first_name, last_name=invitation.last_name)
    return ChoosePasswordForm(user, data)
