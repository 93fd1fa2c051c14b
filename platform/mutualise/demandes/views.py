"""Demandes pages: the commune's (its own demandes) and the console's (each agent's queue across communes)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from mutualise.access import Policy, access, request_rights
from mutualise.accounts.models import User
from mutualise.demandes import levels, queue_index, services
from mutualise.demandes.forms import DemandeForm, MessageForm, QueueFilterForm, StatusForm, TimeForm
from mutualise.demandes.models import Attachment, Demande
from mutualise.demandes.rules import OPEN_STATUSES, Priority, Status
from mutualise.files import CommuneFileStorage, file_response
from mutualise.models import DemandeIndex
from mutualise.plugins import get_registry
from mutualise.services import request_services
from tenants.models import Commune


def visible_services(request: HttpRequest) -> list:
    """The services whose demandes this person may see here.

    In a commune's space: its people and administrators see every subscribed service, a service agent only theirs.
    In the console: an administrator sees every service, an agent the services they work for.
    """
    rights = request_rights(request)
    registry = get_registry()
    commune = getattr(request, "commune", None)
    if commune is not None:
        enabled = request_services(request)
        sees_all = rights.is_admin or commune.id in rights.commune_roles
        return [s for s in registry if s.slug in enabled and (sees_all or s.slug in rights.service_roles)]
    return [s for s in registry if rights.is_admin or s.slug in rights.service_roles]


# -- Commune side ---------------------------------------------------------------------------------------------------


@access(Policy.SPACE)
def commune_list(request: HttpRequest) -> HttpResponse:
    slugs = [s.slug for s in visible_services(request)]
    demandes = Demande.objects.filter(service__in=slugs).select_related("requester", "assignee")
    page = Paginator(demandes, 30).get_page(request.GET.get("page"))
    labels = {s.slug: s.label for s in get_registry()}
    for demande in page:
        demande.service_label = labels.get(demande.service, demande.service)
    return render(request, "demandes/commune_list.html", {"page": page, "services": visible_services(request)})


@access(Policy.SPACE)
def commune_create(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in {s.slug for s in visible_services(request)}:
        raise Http404("Service non souscrit.")
    service = get_registry().get(slug)
    kinds = services.request_types(slug)
    if not kinds:
        raise Http404("Ce service ne reçoit pas de demandes.")
    form = DemandeForm(request.POST or None, request_types=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            demande = services.create(request.commune, service=slug, requester=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("demande", pk=demande.pk)
    in_force = levels.targets_for(slug)
    targets = [(label, in_force[level]) for level, label in Priority.choices]
    return render(
        request,
        "demandes/commune_create.html",
        {"form": form, "service": service, "targets": targets},
        status=400 if form.errors else 200,
    )


@access(Policy.SPACE)
def commune_detail(request: HttpRequest, pk: int) -> HttpResponse:
    slugs = [s.slug for s in visible_services(request)]
    demande = get_object_or_404(Demande.objects.filter(service__in=slugs), pk=pk)
    form = MessageForm(request.POST or None, request.FILES or None)
    form.fields.pop("internal")
    if request.method == "POST" and form.is_valid():
        services.add_message(
            request.commune,
            demande,
            author=request.user,
            body=form.cleaned_data["body"],
            attachment=form.cleaned_data["attachment"],
            from_commune=True,
        )
        return redirect("demande", pk=demande.pk)
    return render(
        request,
        "demandes/detail.html",
        {
            "demande": demande,
            "service": get_registry().get(demande.service),
            "form": form,
            "messages_list": demande.messages.filter(internal=False)
            .select_related("author")
            .prefetch_related("attachments"),
            "target": request.commune,
            "agent_view": False,
        },
        status=400 if form.errors else 200,
    )


# -- Console side ---------------------------------------------------------------------------------------------------


def queue_rows(rows, service_labels: dict, now) -> list[dict]:
    """The queue's rows as the page shows them: dates in local time, labels, links, the assignee's name.

    Made once here from plain values rather than by the template from model instances: a page of 50 rows across
    communes is the console's most used page, and this halves its cost.
    """
    statuses = {value: str(label) for value, label in Status.choices}
    local = timezone.get_current_timezone()  # what timezone.localtime() looks up for each row
    # The link's shape read once (reverse() per row was a fifth of the rows' cost); INSEE codes and ids need no quoting.
    url = reverse("queue_detail", args=["__insee__", 987654321]).replace("__insee__", "{}").replace("987654321", "{}")
    shown = []
    for row in rows:
        assignee = f"{row.assignee__first_name or ''} {row.assignee__last_name or ''}".strip() or row.assignee__email
        shown.append(
            {
                "url": url.format(row.commune__insee_code, row.demande_id),
                "title": row.title,
                "commune": row.commune__name,
                "service": service_labels.get(row.service, row.service),
                "status": statuses.get(row.status, row.status),
                "priority": row.priority,
                "due": row.due_at.astimezone(local).strftime("%d/%m/%Y %H:%M") if row.due_at else "",
                "late": row.due_at is not None and row.due_at < now,
                "breached": row.take_charge_breached or row.resolve_breached,
                "assignee": assignee or "—",
            }
        )
    return shown


@access(Policy.SPACE)
def queue(request: HttpRequest) -> HttpResponse:
    """The demandes of every subscribing commune, for the services of the person: a count and a page read from the
    public index (``mutualise.demandes.queue_index``), never from the communes' schemas."""
    mine = visible_services(request)
    form = QueueFilterForm(request.GET or None, services=mine)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status")
    filters = queue_index.QueueFilters(
        # The form offers only the person's services: one chosen is one of theirs.
        services=[data["service"]] if data.get("service") else [s.slug for s in mine],
        statuses=None if status == "toutes" else [status] if status else OPEN_STATUSES,
        priority=int(data["priority"]) if data.get("priority") else None,
        commune=data.get("commune") or None,
        assignee_id=request.user.pk if data.get("mine") else None,
        due_before=timezone.now() if data.get("late") else None,
    )
    paginator = Paginator(range(queue_index.count(filters)), queue_index.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = queue_index.page(filters, offset=max(page.start_index() - 1, 0))
    page.object_list = queue_rows(rows, {s.slug: str(s.label) for s in mine}, timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "form_services": ",".join(s.slug for s in mine)}
    return render(request, "demandes/queue.html", context)


@access(Policy.SPACE)
def queue_detail(request: HttpRequest, insee_code: str, pk: int) -> HttpResponse:
    """A demande seen by the service's agents: thread with internal notes, assignment, status, time spent."""
    commune = get_object_or_404(Commune, insee_code=insee_code)
    mine = {s.slug for s in visible_services(request)}
    row = get_object_or_404(DemandeIndex, commune=commune, demande_id=pk, service__in=mine)
    with schema_context(commune.schema_name):
        demande = get_object_or_404(Demande, pk=row.demande_id)
        forms_ = {
            "message": MessageForm(*((request.POST, request.FILES) if request.POST.get("action") == "message" else ())),
            "status": StatusForm(
                request.POST if request.POST.get("action") == "status" else None, initial={"status": demande.status}
            ),
            "time": TimeForm(
                request.POST if request.POST.get("action") == "time" else None, initial={"date": timezone.localdate()}
            ),
        }
        if request.method == "POST":
            action = request.POST.get("action")
            form = forms_.get(action)
            if action == "take":
                services.assign(commune, demande, request.user, by=request.user)
                return redirect("queue_detail", insee_code=insee_code, pk=pk)
            if form is not None and form.is_valid():
                try:
                    if action == "message":
                        services.add_message(commune, demande, author=request.user, **form.cleaned_data)
                    elif action == "status":
                        services.move(commune, demande, form.cleaned_data["status"], by=request.user)
                    else:
                        services.add_time(commune, demande, agent=request.user, **form.cleaned_data)
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    return redirect("queue_detail", insee_code=insee_code, pk=pk)
        context = {
            "demande": demande,
            "service": get_registry().get(demande.service),
            "target": commune,
            "messages_list": list(demande.messages.select_related("author").prefetch_related("attachments")),
            "time_entries": list(demande.time_entries.select_related("agent")),
            "forms": forms_,
            "agent_view": True,
            "requester": User.objects.filter(pk=demande.requester_id).first(),
        }
        errors = any(f.errors for f in forms_.values())
        return render(request, "demandes/detail.html", context, status=400 if errors else 200)


@access(Policy.SPACE)
def commune_attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """A file of the thread, for the commune: never one attached to an internal note."""
    slugs = [s.slug for s in visible_services(request)]
    attachment = get_object_or_404(
        Attachment, pk=attachment_id, demande_id=pk, demande__service__in=slugs, message__internal=False
    )
    return file_response(CommuneFileStorage(), attachment.file.name, attachment.name)


@access(Policy.SPACE)
def queue_attachment(request: HttpRequest, insee_code: str, pk: int, attachment_id: int) -> FileResponse:
    """A file of the thread, for the agents of the demande's service."""
    commune = get_object_or_404(Commune, insee_code=insee_code)
    get_object_or_404(
        DemandeIndex, commune=commune, demande_id=pk, service__in=[s.slug for s in visible_services(request)]
    )
    with schema_context(commune.schema_name):
        attachment = get_object_or_404(Attachment, pk=attachment_id, demande_id=pk)
        return file_response(CommuneFileStorage(), attachment.file.name, attachment.name)
