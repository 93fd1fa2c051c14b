"""The console's "Utilisateurs et rôles" (community host, ``/utilisateurs/``): community administrators only.

Role changes are audited by the accounts signals (with the administrator as actor, through the request); what the
signals do not see (deactivation, invitations) is recorded here.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mutualise import audit
from mutualise.access import Policy, access
from mutualise.accounts import invitations
from mutualise.accounts.models import CommuneMembership, Invitation, ServiceMembership, User
from mutualise.accounts.people_forms import (
    COMMUNE_ROLES,
    COMMUNE_ROLES_HELP,
    CommuneRoleForm,
    InviteForm,
    PeopleFilterForm,
    ServiceRoleForm,
)
from mutualise.plugins import get_registry

PAGE_SIZE = 50
admin_only = access(Policy.ADMIN)


def _console_only(request: HttpRequest) -> None:
    if getattr(request, "commune", None) is not None:
        raise Http404  # mounted on the community host only; a safeguard should it be included elsewhere


def label_services(people) -> None:
    """Give each prefetched service membership of ``people`` the label of its service (``label``)."""
    labels = {service.slug: service.label for service in get_registry()}
    for person in people:
        for membership in person.service_memberships.all():
            membership.label = labels.get(membership.service, membership.service)


def people_queryset(filters: dict):
    """People matching ``filters``, with their roles prefetched: four queries for a page, whatever its length."""
    people = User.objects.order_by("last_name", "first_name", "email").prefetch_related(
        Prefetch(
            "commune_memberships",
            queryset=CommuneMembership.objects.select_related("commune").order_by("commune__name"),
        ),
        Prefetch("service_memberships", queryset=ServiceMembership.objects.order_by("service")),
    )
    for word in filters.get("q", "").split()[:5]:
        people = people.filter(Q(email__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word))
    if commune := filters.get("commune"):
        people = people.filter(commune_memberships__commune=commune)
    if service := filters.get("service"):
        people = people.filter(service_memberships__service=service)
    if state := filters.get("etat"):
        people = people.filter(is_active=state == "actifs")
    return people


@admin_only
def people(request: HttpRequest) -> HttpResponse:
    """Everyone, with their roles; filtered by commune, service, state and text; an htmx request gets the table."""
    _console_only(request)
    form = PeopleFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    page = Paginator(people_queryset(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and k in form.fields})
    label_services(page.object_list)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "pending_count": Invitation.objects.pending().filter(expires_at__gt=timezone.now()).count(),
    }
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    response = render(request, "accounts/people.html#table" if partial else "accounts/people.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@admin_only
def invite(request: HttpRequest) -> HttpResponse:
    _console_only(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invitation, sent = invitations.create_invitation(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            commune=data["commune"],
            commune_role=data["commune_role"],
            service=data["service"],
            service_role=data["service_role"],
            is_admin=data["is_admin"],
            created_by=request.user,
        )
        report_sending(request, invitation, sent)
        return redirect("people_invitations")
    return render(request, "accounts/people_invite.html", {"form": form})


def report_sending(request: HttpRequest, invitation: Invitation, sent: bool) -> None:
    if sent:
        messages.success(
            request,
            _("Invitation envoyée à %(email)s ; le lien est valable jusqu'au %(date)s.")
            % {"email": invitation.email, "date": timezone.localtime(invitation.expires_at).strftime("%d/%m/%Y")},
        )
    else:
        messages.error(
            request,
            _("L'invitation de %(email)s est enregistrée mais le message n'a pas pu partir : envoyez-la de nouveau.")
            % {"email": invitation.email},
        )


def pending_invitations(**filters):
    return (
        Invitation.objects.pending()
        .filter(**filters)
        .select_related("commune", "created_by")
        .order_by("-sent_at", "-id")
    )


@admin_only
def invitation_list(request: HttpRequest) -> HttpResponse:
    _console_only(request)
    return render(
        request,
        "accounts/people_invitations.html",
        {"invitations": invitations.with_roles(pending_invitations()), "now": timezone.now()},
    )


@admin_only
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    _console_only(request)
    invitation = get_object_or_404(pending_invitations(), pk=pk)
    report_sending(request, invitation, invitations.resend_invitation(invitation, actor=request.user))
    return redirect("people_invitations")


@admin_only
@require_POST
def invitation_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _console_only(request)
    invitation = get_object_or_404(pending_invitations(), pk=pk)
    invitations.cancel_invitation(invitation, actor=request.user)
    messages.success(request, _("L'invitation de %(email)s est annulée.") % {"email": invitation.email})
    return redirect("people_invitations")


# -- One person ------------------------------------------------------------------------------------------------------


def _person(pk: int) -> User:
    return get_object_or_404(
        User.objects.prefetch_related(
            Prefetch(
                "commune_memberships",
                queryset=CommuneMembership.objects.select_related("commune").order_by("commune__name"),
            ),
            Prefetch("service_memberships", queryset=ServiceMembership.objects.order_by("service")),
        ),
        pk=pk,
    )


def _render_person(request, person, *, commune_form=None, service_form=None, status=200) -> HttpResponse:
    label_services([person])
    return render(
        request,
        "accounts/person.html",
        {
            "person": person,
            "commune_form": commune_form or CommuneRoleForm(auto_id="ajout-commune-%s"),
            "service_form": service_form or ServiceRoleForm(auto_id="ajout-service-%s"),
            "commune_roles": COMMUNE_ROLES,
            "commune_roles_help": COMMUNE_ROLES_HELP,
            "service_roles": ServiceRoleForm.base_fields["role"].choices,
            "invitations": invitations.with_roles(pending_invitations(email__iexact=person.email)),
            "is_self": person.pk == request.user.pk,
            "now": timezone.now(),
        },
        status=status,
    )


@admin_only
def person(request: HttpRequest, pk: int) -> HttpResponse:
    _console_only(request)
    return _render_person(request, _person(pk))


@admin_only
@require_POST
def set_commune_role(request: HttpRequest, pk: int) -> HttpResponse:
    """Give or change a person's role in a commune (the form names the commune and the role)."""
    _console_only(request)
    person = _person(pk)
    form = CommuneRoleForm(request.POST, auto_id="ajout-commune-%s")
    if not form.is_valid():
        messages.error(request, _("Le rôle n'a pas été enregistré : corrigez le formulaire."))
        return _render_person(request, person, commune_form=form, status=400)
    commune, role = form.cleaned_data["commune"], form.cleaned_data["role"]
    with transaction.atomic():
        membership = CommuneMembership.objects.select_for_update().filter(user=person, commune=commune).first()
        if membership is None:
            CommuneMembership.objects.create(user=person, commune=commune, role=role)
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    messages.success(
        request, _("%(person)s : rôle à %(commune)s enregistré.") % {"person": person, "commune": commune.name}
    )
    return redirect("person", pk=person.pk)


@admin_only
@require_POST
def remove_commune_role(request: HttpRequest, pk: int, commune_id: int) -> HttpResponse:
    _console_only(request)
    membership = get_object_or_404(
        CommuneMembership.objects.select_related("commune", "user"), user_id=pk, commune_id=commune_id
    )
    membership.delete()
    messages.success(
        request,
        _("%(person)s n'a plus de rôle à %(commune)s.") % {"person": membership.user, "commune": membership.commune},
    )
    return redirect("person", pk=pk)


@admin_only
@require_POST
def set_service_role(request: HttpRequest, pk: int) -> HttpResponse:
    _console_only(request)
    person = _person(pk)
    form = ServiceRoleForm(request.POST, auto_id="ajout-service-%s")
    if not form.is_valid():
        messages.error(request, _("Le rôle n'a pas été enregistré : corrigez le formulaire."))
        return _render_person(request, person, service_form=form, status=400)
    service, role = form.cleaned_data["service"], form.cleaned_data["role"]
    with transaction.atomic():
        membership = ServiceMembership.objects.select_for_update().filter(user=person, service=service).first()
        if membership is None:
            ServiceMembership.objects.create(user=person, service=service, role=role)
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    messages.success(
        request,
        _("%(person)s : rôle dans le service « %(service)s » enregistré.")
        % {"person": person, "service": invitations.service_label(service)},
    )
    return redirect("person", pk=person.pk)


@admin_only
@require_POST
def remove_service_role(request: HttpRequest, pk: int, service: str) -> HttpResponse:
    _console_only(request)
    membership = get_object_or_404(ServiceMembership.objects.select_related("user"), user_id=pk, service=service)
    membership.delete()
    messages.success(
        request,
        _("%(person)s n'a plus de rôle dans le service « %(service)s ».")
        % {"person": membership.user, "service": invitations.service_label(service)},
    )
    return redirect("person", pk=pk)


def _wanted(request: HttpRequest) -> bool | None:
    """The ``valeur`` a toggle posts: ``"1"`` on, ``"0"`` off, anything else ``None``."""
    return {"1": True, "0": False}.get(request.POST.get("valeur", ""))


@admin_only
@require_POST
def set_admin(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a person community administrator, or no longer; an administrator cannot demote themselves."""
    _console_only(request)
    person = get_object_or_404(User, pk=pk)
    wanted = _wanted(request)
    if wanted is None:
        messages.error(request, _("Demande incomprise : rien n'a été modifié."))
    elif person.pk == request.user.pk and not wanted:
        messages.error(
            request,
            _(
                "Vous ne pouvez pas retirer vos propres droits d'administrateur : demandez-le à un autre administrateur."
            ),
        )
    elif person.is_staff != wanted:
        person.is_staff = person.is_superuser = wanted
        person.save(update_fields=["is_staff", "is_superuser"])  # audited by the accounts signals
        messages.success(
            request,
            (
                _("%(person)s est administrateur de la communauté.")
                if wanted
                else _("%(person)s n'est plus administrateur.")
            )
            % {"person": person},
        )
    return redirect("person", pk=person.pk)


def end_sessions(user: User) -> int:
    """Delete the open sessions of ``user`` (database sessions), so that a reactivation does not revive them."""
    if not issubclass(import_module(settings.SESSION_ENGINE).SessionStore, db.SessionStore):
        return 0  # other engines: the session stops working anyway, the account being inactive
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


@admin_only
@require_POST
def set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an account (no more sign-in, its sessions end at once) or reactivate it."""
    _console_only(request)
    person = get_object_or_404(User, pk=pk)
    wanted = _wanted(request)
    if wanted is None:
        messages.error(request, _("Demande incomprise : rien n'a été modifié."))
    elif person.pk == request.user.pk and not wanted:
        messages.error(request, _("Vous ne pouvez pas désactiver votre propre compte."))
    elif person.is_active != wanted:
        person.is_active = wanted
        person.save(update_fields=["is_active"])
        ended = 0 if wanted else end_sessions(person)
        audit.record(
            "compte.reactive" if wanted else "compte.desactive",
            actor=request.user,
            target=person.email,
            before={"actif": not wanted},
            after={"actif": wanted, **({} if wanted else {"sessions_fermees": ended})},
        )
        messages.success(
            request,
            (
                _("Le compte de %(person)s est réactivé.")
                if wanted
                else _("Le compte de %(person)s est désactivé : cette personne ne peut plus se connecter.")
            )
            % {"person": person},
        )
    return redirect("person", pk=person.pk)
