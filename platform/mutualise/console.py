"""The community console's own pages: communes, the subscription matrix, communes' requests, the audit log, the
services' service levels and business hours.

Views stay thin: the rules live in ``tenants.subscriptions`` and ``mutualise.audit``.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualise.access import Policy, access, request_rights
from mutualise.demandes import levels
from mutualise.demandes.rules import DAY, Priority, Target
from mutualise.exports import csv_response
from mutualise.models import AuditEntry, ServiceCalendar
from mutualise.plugins import get_registry
from tenants.models import Commune, Subscription, SubscriptionRequest
from tenants.subscriptions import decide_request, disable_service, enable_service, subscription_matrix

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]  # the browser's date picker, or typed the French way


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class EnableForm(forms.Form):
    start_date = forms.DateField(label=_("Date de début"), input_formats=DATE_FORMATS, widget=DateInput())
    convention_reference = forms.CharField(label=_("Référence de la convention"), max_length=100)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class DisableForm(forms.Form):
    end_date = forms.DateField(label=_("Date de fin"), input_formats=DATE_FORMATS, widget=DateInput())
    reason = forms.CharField(label=_("Motif"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, subscription: Subscription, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription = subscription

    def clean_end_date(self):
        end = self.cleaned_data["end_date"]
        if end < self.subscription.start_date:
            raise ValidationError(
                _("La date de fin ne peut pas précéder le début de la souscription (%(date)s).")
                % {"date": self.subscription.start_date.strftime("%d/%m/%Y")}
            )
        return end


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Décision"), choices=[("accepter", _("Accepter")), ("refuser", _("Refuser"))], widget=forms.RadioSelect
    )
    start_date = forms.DateField(
        label=_("Date de début (si acceptée)"), input_formats=DATE_FORMATS, widget=DateInput(), required=False
    )
    convention_reference = forms.CharField(
        label=_("Référence de la convention (si acceptée)"), max_length=100, required=False
    )
    note = forms.CharField(
        label=_("Réponse à la commune"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "accepter" and not data.get("convention_reference"):
            self.add_error("convention_reference", _("Indiquez la référence de la convention pour accepter."))
        return data


class AuditFilterForm(forms.Form):
    who = forms.CharField(label=_("Auteur (e-mail)"), required=False, max_length=254)
    commune = forms.ModelChoiceField(
        label=_("Commune"),
        queryset=Commune.objects.order_by("name"),
        required=False,
        empty_label=_("Toutes"),
        to_field_name="insee_code",
    )
    service = forms.ChoiceField(label=_("Service"), required=False)
    start = forms.DateField(label=_("Du"), required=False, input_formats=DATE_FORMATS, widget=DateInput())
    end = forms.DateField(label=_("Au"), required=False, input_formats=DATE_FORMATS, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("Tous"))] + [(s.slug, s.label) for s in get_registry()]

    def filter(self, entries):
        if not self.is_valid():
            return entries.none()
        data = self.cleaned_data
        if data["who"]:
            entries = entries.filter(actor_label__icontains=data["who"])
        if data["commune"]:
            entries = entries.filter(commune=data["commune"])
        if data["service"]:
            entries = entries.filter(service=data["service"])
        if data["start"]:
            entries = entries.filter(at__date__gte=data["start"])
        if data["end"]:
            entries = entries.filter(at__date__lte=data["end"])
        return entries


# -- Communes ----------------------------------------------------------------------------------------------------


@access(Policy.ADMIN)
def communes(request: HttpRequest) -> HttpResponse:
    """Every commune with its population, subscribed services and number of people (three queries)."""
    matrix = subscription_matrix(
        communes=Commune.objects.order_by("name").annotate(people=Count("memberships", distinct=True))
    )
    rows = [(c, [service.label for service, sub in cells if sub is not None]) for c, cells in matrix.rows()]
    return render(request, "mutualise/console/communes.html", {"rows": rows, "matrix": matrix})


@access(Policy.ADMIN)
def commune_detail(request: HttpRequest, insee_code: str) -> HttpResponse:
    commune = get_object_or_404(Commune.objects.prefetch_related("domains"), insee_code=insee_code)
    labels = {s.slug: s.label for s in get_registry()}
    history = [(s, labels.get(s.service, s.service)) for s in commune.subscriptions.order_by("service", "-start_date")]
    return render(
        request,
        "mutualise/console/commune.html",
        {
            "target": commune,
            "history": history,
            "people": commune.memberships.select_related("user").order_by("user__last_name", "user__email"),
            "entries": AuditEntry.objects.filter(commune=commune).select_related("actor")[:20],
        },
    )


# -- Subscription matrix -----------------------------------------------------------------------------------------


@access(Policy.ADMIN)
def matrix(request: HttpRequest) -> HttpResponse:
    """Communes × services; each cell opens the form that enables or disables that subscription."""
    return render(request, "mutualise/console/matrix.html", {"matrix": subscription_matrix()})


def _cell_context(commune: Commune, slug: str) -> dict:
    subscription = Subscription.objects.filter(commune=commune, service=slug).in_force().first()
    return {"target": commune, "service": get_registry().get(slug), "subscription": subscription}


@access(Policy.ADMIN)
def matrix_cell(request: HttpRequest, insee_code: str, slug: str) -> HttpResponse:
    """GET: the form for one cell. POST: enable or disable, then the updated cell (htmx) or the matrix."""
    commune = get_object_or_404(Commune, insee_code=insee_code)
    if slug not in get_registry():
        raise Http404("Service inconnu.")
    context = _cell_context(commune, slug)
    subscription = context["subscription"]
    data = request.POST if request.method == "POST" else None
    if subscription is None:
        form = EnableForm(data, initial={"start_date": timezone.localdate()})
    else:
        form = DisableForm(data, subscription=subscription, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            if subscription is None:
                enable_service(
                    commune,
                    slug,
                    start=values["start_date"],
                    actor=request.user,
                    convention_reference=values["convention_reference"],
                    note=values["note"],
                    reason=values["note"],
                )
                message = _("%(service)s activé pour %(commune)s.")
            else:
                disable_service(commune, slug, end=values["end_date"], actor=request.user, reason=values["reason"])
                message = _("%(service)s désactivé pour %(commune)s ; ses données sont conservées.")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            text = message % {"service": context["service"].label, "commune": commune.name}
            if request.htmx:
                matrix = subscription_matrix()
                return render(
                    request,
                    "mutualise/console/matrix_updated.html",
                    {**_cell_context(commune, slug), "matrix": matrix, "done": text},
                )
            messages.success(request, text)
            return redirect("console_matrix")
    template = "mutualise/console/matrix_cell.html#panel" if request.htmx else "mutualise/console/matrix_cell.html"
    return render(request, template, {**context, "form": form}, status=400 if form.errors else 200)


# -- Requests from communes ----------------------------------------------------------------------------------------


@access(Policy.ADMIN)
def requests_list(request: HttpRequest) -> HttpResponse:
    labels = {s.slug: s.label for s in get_registry()}
    items = SubscriptionRequest.objects.select_related("commune", "requested_by", "decided_by")
    pending = [(r, labels.get(r.service, r.service)) for r in items.filter(status=SubscriptionRequest.Status.PENDING)]
    decided = [
        (r, labels.get(r.service, r.service)) for r in items.exclude(status=SubscriptionRequest.Status.PENDING)[:50]
    ]
    return render(request, "mutualise/console/requests.html", {"pending": pending, "decided": decided})


@access(Policy.ADMIN)
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(SubscriptionRequest.objects.select_related("commune"), pk=pk)
    form = DecisionForm(request.POST or None, initial={"start_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            decide_request(
                item,
                accept=values["decision"] == "accepter",
                actor=request.user,
                note=values["note"],
                start=values["start_date"],
                convention_reference=values["convention_reference"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Réponse enregistrée pour %(commune)s.") % {"commune": item.commune.name})
            return redirect("console_requests")
    service = get_registry().get(item.service) if item.service in get_registry() else None
    return render(
        request,
        "mutualise/console/request_decide.html",
        {"item": item, "service": service, "form": form},
        status=400 if form.errors else 200,
    )


# -- Audit log -----------------------------------------------------------------------------------------------------


def _audit_entries(request: HttpRequest):
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.select_related("commune", "actor")
    return form, (form.filter(entries) if request.GET else entries)


@access(Policy.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    form, entries = _audit_entries(request)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "mutualise/console/audit.html#results" if request.htmx else "mutualise/console/audit.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


@access(Policy.ADMIN)
def audit_export(request: HttpRequest) -> HttpResponse:
    _form, entries = _audit_entries(request)
    rows = (
        (e.at, e.actor_label, e.action, e.commune.name if e.commune else "", e.service, e.target, e.reason)
        for e in entries.iterator(chunk_size=2000)
    )
    name = f"journal-{timezone.localdate():%Y-%m-%d}.csv"
    return csv_response(request, name, ["Date", "Auteur", "Action", "Commune", "Service", "Objet", "Motif"], rows)


# -- Service levels --------------------------------------------------------------------------------------------------

WEEKDAYS = [_("Lundi"), _("Mardi"), _("Mercredi"), _("Jeudi"), _("Vendredi"), _("Samedi"), _("Dimanche")]


def _link_errors(form: forms.Form) -> None:
    """Tie each field to its error message, so that a screen reader announces it with the field."""
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            described = widget.attrs.get("aria-describedby", "")
            widget.attrs["aria-describedby"] = f"{described} {form[name].auto_id}_error".strip()


class ServiceLevelForm(forms.Form):
    """Targets of every priority for one service, in force from a date; delays typed as « 4 h », « 2 j »."""

    valid_from = forms.DateField(label=_("Date d'effet"), input_formats=DATE_FORMATS, widget=DateInput())
    reason = forms.CharField(
        label=_("Motif"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for level, label in Priority.choices:
            for kind, kind_label in (("take_charge", _("prise en charge")), ("resolve", _("résolution"))):
                name = f"p{level}_{kind}"
                self.fields[name] = forms.CharField(
                    label=f"{label} — {kind_label}",
                    max_length=40,
                    widget=forms.TextInput(attrs={"size": 10, "autocomplete": "off"}),
                )
            self.rows.append((level, label, [self[f"p{level}_take_charge"], self[f"p{level}_resolve"]]))

    def clean(self):
        data = super().clean()
        targets = {}
        for level, _label, _fields in self.rows:
            minutes = {}
            for kind in ("take_charge", "resolve"):
                name = f"p{level}_{kind}"
                if name not in data:
                    continue
                try:
                    minutes[kind] = levels.parse_duration(data[name])
                except ValidationError as error:
                    self.add_error(name, error)
            if len(minutes) == 2:
                target = Target(**minutes)
                try:
                    levels.check_target(level, target)
                except ValidationError as error:
                    self.add_error(f"p{level}_resolve", error)
                else:
                    targets[level] = target
        valid_from = data.get("valid_from")
        if valid_from and valid_from < timezone.localdate():
            self.add_error("valid_from", _("La date d'effet ne peut pas être passée."))
        data["targets"] = targets
        return data


class CalendarForm(forms.Form):
    """Opening hours per weekday (« 08:30-12:00, 13:30-17:00 ») and the département for local public holidays."""

    departement = forms.CharField(
        label=_("Département (jours fériés locaux)"),
        required=False,
        max_length=3,
        help_text=_("57, 67 ou 68 pour l'Alsace-Moselle ; vide : le département de la plupart des communes."),
    )
    reason = forms.CharField(
        label=_("Motif"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"day{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("Par exemple « 08:30-12:00, 13:30-17:00 » ; vide : fermé.") if day == 0 else "",
            )
        self.order_fields([f"day{day}" for day in range(7)])

    @staticmethod
    def as_time(text: str) -> str:
        """« 8 », « 8h », « 8h30 », « 8:30 » → « 08:00 », « 08:30 »; anything else is left for the check to refuse."""
        match = re.fullmatch(r"(\d{1,2})(?:\s*[h:]\s*(\d{2})?)?", text.strip().lower())
        return f"{int(match.group(1)):02d}:{match.group(2) or '00'}" if match else text.strip()

    @staticmethod
    def as_text(periods: list) -> str:
        return ", ".join(f"{start}-{end}" for start, end in periods)

    def clean(self):
        data = super().clean()
        hours = {}
        for day in range(7):
            text = (data.get(f"day{day}") or "").strip()
            if not text:
                continue
            periods = []
            for part in text.split(","):
                start, sep, end = part.strip().replace("–", "-").partition("-")
                if not sep:
                    self.add_error(f"day{day}", _("Écrivez chaque période « HH:MM-HH:MM »."))
                    break
                periods.append([self.as_time(start), self.as_time(end)])
            else:
                try:
                    levels.parse_hours({str(day): periods})
                except ValidationError as error:
                    self.add_error(f"day{day}", error)
                else:
                    hours[str(day)] = periods
        if not self.errors and not hours:
            raise ValidationError(_("Indiquez au moins une période d'ouverture dans la semaine."))
        data["hours"] = hours
        return data


def _level_services(request: HttpRequest) -> list:
    """The services whose service levels this person sees: all for an administrator, an agent's own otherwise."""
    rights = request_rights(request)
    return [s for s in get_registry() if rights.is_admin or s.slug in rights.service_roles]


def _may_edit_levels(request: HttpRequest, slug: str) -> bool:
    rights = request_rights(request)
    return rights.is_admin or rights.service_roles.get(slug) == "responsable"


@access(Policy.SPACE)
def service_levels(request: HttpRequest) -> HttpResponse:
    """Each service's targets per priority in force today, the changes already scheduled, and the calendar."""
    today = timezone.localdate()
    rights = request_rights(request)
    tables = []
    for service in _level_services(request):
        in_force = levels.targets_for(service.slug, today)
        dates = [day for day, _t in levels.schedule(service.slug)]
        tables.append(
            {
                "service": service,
                "targets": [in_force[level] for level in Priority.values],
                "since": next((day for day in dates if day <= today), None),
                "scheduled": [(day, t) for day, t in levels.schedule(service.slug) if day > today],
                "editable": _may_edit_levels(request, service.slug),
            }
        )
    calendar = levels.calendar()
    hours = [(label, calendar.hours.get(day, ())) for day, label in enumerate(WEEKDAYS)]
    return render(
        request,
        "mutualise/console/service_levels.html",
        {
            "tables": tables,
            "priorities": Priority.choices,
            "hours": hours,
            "calendar": calendar,
            "is_admin": rights.is_admin,
            "today": today,
            "any_editable": any(t["editable"] for t in tables),
        },
    )


@access(Policy.SPACE)
def service_level_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a service's targets from a date of effect: the administrators and the service's responsables."""
    if slug not in {s.slug for s in _level_services(request)}:
        raise Http404("Service inconnu.")
    if not _may_edit_levels(request, slug):
        raise PermissionDenied
    service = get_registry().get(slug)
    today = timezone.localdate()
    initial = {"valid_from": today}
    for level, target in levels.targets_for(slug, today).items():
        initial[f"p{level}_take_charge"] = levels.format_minutes(target.take_charge)
        initial[f"p{level}_resolve"] = levels.format_minutes(target.resolve)
    form = ServiceLevelForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            levels.set_targets(
                slug, values["valid_from"], values["targets"], actor=request.user, reason=values["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Niveaux de service de %(service)s enregistrés, en vigueur à partir du %(date)s.")
                % {"service": service.label, "date": values["valid_from"].strftime("%d/%m/%Y")},
            )
            return redirect("console_service_levels")
    _link_errors(form)
    return render(
        request,
        "mutualise/console/service_level_edit.html",
        {"service": service, "form": form, "day_hours": f"{DAY // 60} h"},
        status=400 if form.errors else 200,
    )


@access(Policy.ADMIN)
def service_calendar_edit(request: HttpRequest) -> HttpResponse:
    """The intercommunality's opening hours, against which every service level is counted."""
    row = ServiceCalendar.objects.filter(pk=1).first() or ServiceCalendar()
    initial = {"departement": row.departement}
    for day in range(7):
        initial[f"day{day}"] = CalendarForm.as_text(row.opening_hours.get(str(day), []))
    form = CalendarForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        levels.set_calendar(
            values["hours"], departement=values["departement"], actor=request.user, reason=values["reason"]
        )
        messages.success(request, _("Horaires des services enregistrés."))
        return redirect("console_service_levels")
    _link_errors(form)
    return render(
        request, "mutualise/console/service_calendar.html", {"form": form}, status=400 if form.errors else 200
    )
