"""Community side of the Informatique service: the renewal forecast and the schémas directeurs of every commune.

Each page reads all the subscribing communes in one SQL statement (see :mod:`plugins.informatique.fleet`).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mutualise import audit
from mutualise.access import Policy, access
from mutualise.exports import table_response
from mutualise.plugins import get_registry
from mutualise.services import communes_with_service
from mutualise.views import ServiceCommunityView
from plugins.informatique import fleet, rules
from plugins.informatique.forms import euro_field
from plugins.informatique.models import Asset, Contract, SchemaAction
from plugins.informatique.reglages.models import DeviceType, instance_tables
from plugins.informatique.views import SERVICE, check_format, forecast_chart


class CommunityIndexView(ServiceCommunityView):
    """The subscribing communes (the platform's page), with links to the service's cross-commune pages."""

    template_name = "informatique/community_index.html"


def _forecast(today):
    communes = list(communes_with_service(SERVICE))
    plans = fleet.forecast_by_commune(communes, today.year)
    totals = [rules.YearForecast(year) for year in range(today.year, today.year + 6)]
    rows = []
    for commune in communes:
        plan = plans[commune.insee_code]
        for total, row in zip(totals, plan, strict=True):
            total.count += row.count
            total.cost += row.cost
            total.overdue += row.overdue
        rows.append((commune, plan, sum((r.cost for r in plan), Decimal("0"))))
    return communes, rows, totals


@access(Policy.SERVICE)
def renewal_forecast(request):
    """Replacements per year for every subscribing commune, and their total (table and chart)."""
    today = timezone.localdate()
    communes, rows, totals = _forecast(today)
    return render(
        request,
        "informatique/community_renewal.html",
        {
            "service": get_registry().get(SERVICE),
            "rows": rows,
            "plan": totals,
            "years": [t.year for t in totals],
            "chart": forecast_chart("prevision-communes", totals, gettext("communes adhérentes")),
            "total": sum((t.cost for t in totals), Decimal("0")),
            "planned": sum(t.count for t in totals),
        },
    )


@access(Policy.SERVICE)
def export_renewal_forecast(request, format: str):
    """One line per commune and year: devices to replace and estimated cost."""
    check_format(format)
    _, rows, _ = _forecast(timezone.localdate())
    lines = (
        [commune.name, commune.insee_code, r.year, r.count, r.overdue, r.cost]
        for commune, plan, _ in rows
        for r in plan
    )
    header = ["Commune", "Code INSEE", "Année", "Équipements à remplacer", "Dont déjà en retard", "Coût estimé HT"]
    return table_response(request, "renouvellement-communes", header, lines, format=format, service=SERVICE)


class SchemaFilterForm(forms.Form):
    year = forms.IntegerField(label=_("Année"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(
        label=_("Statut"), required=False, choices=[("", _("Tous"))] + list(SchemaAction.Status.choices)
    )


@access(Policy.SERVICE)
def schema_actions(request):
    """The schéma directeur actions of every subscribing commune, filtered by year and status."""
    form = SchemaFilterForm(request.GET or None)
    year, status = None, ""
    if form.is_valid():
        year, status = form.cleaned_data["year"], form.cleaned_data["status"]
    communes = {c.insee_code: c for c in communes_with_service(SERVICE)}
    categories, statuses = dict(SchemaAction.Category.choices), dict(SchemaAction.Status.choices)
    actions = [
        {
            "commune": communes[code],
            "url": f"{communes[code].url}services/{SERVICE}/schema-directeur/{pk}/",
            "year": action_year,
            "category": categories.get(category, category),
            "title": title,
            "status": statuses.get(action_status, action_status),
            "estimated_cost": estimated,
            "actual_cost": actual,
        }
        for code, pk, action_year, category, title, action_status, estimated, actual in fleet.schema_actions(
            list(communes.values()), year, status
        )
    ]
    actions.sort(key=lambda a: (a["year"], a["commune"].name, a["title"]))
    totals: dict[int, list] = {}
    for action in actions:
        total = totals.setdefault(action["year"], [0, Decimal("0")])
        total[0] += 1
        total[1] += action["estimated_cost"] or 0
    return render(
        request,
        "informatique/community_schema.html",
        {
            "service": get_registry().get(SERVICE),
            "form": form,
            "actions": actions,
            "totals": sorted(totals.items()),
        },
        status=400 if form.errors else 200,
    )


class DeviceTypesForm(forms.Form):
    """Lifetime and replacement cost of every device type, on one page."""

    def __init__(self, *args, lifetimes: dict, costs: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = list(Asset.Kind.choices)
        for kind, label in self.kinds:
            self.fields[f"years_{kind}"] = forms.IntegerField(
                label=_("%(type)s : durée de vie (années)") % {"type": label},
                min_value=1,
                max_value=30,
                initial=lifetimes.get(kind, rules.FALLBACK_LIFETIME),
            )
            self.fields[f"cost_{kind}"] = euro_field(DeviceType._meta.get_field("unit_cost"), initial=costs.get(kind))
            self.fields[f"cost_{kind}"].label = _("%(type)s : coût de remplacement HT (€)") % {"type": label}
            self.fields[f"cost_{kind}"].required = True


@access(Policy.SERVICE)
def device_types(request):
    """The service sets, for the whole instance, the lifetime and replacement cost of each device type."""
    lifetimes, costs = instance_tables()
    form = DeviceTypesForm(request.POST or None, lifetimes=lifetimes, costs=costs)
    if request.method == "POST" and form.is_valid():
        before, after = {}, {}
        with transaction.atomic():
            for kind, _label in form.kinds:
                years, cost = form.cleaned_data[f"years_{kind}"], form.cleaned_data[f"cost_{kind}"]
                if (years, cost) != (lifetimes.get(kind), costs.get(kind)):
                    before[kind] = {"annees": lifetimes.get(kind), "cout": costs.get(kind)}
                    after[kind] = {"annees": years, "cout": cost}
                    DeviceType.objects.update_or_create(
                        kind=kind, defaults={"lifetime_years": years, "unit_cost": cost}
                    )
            if after:
                audit.record(
                    "informatique.reglages.modifies",
                    service=SERVICE,
                    target="Durées de vie et coûts",
                    before=before,
                    after=after,
                )
        messages.success(
            request, gettext("Réglages enregistrés : le plan de renouvellement de chaque commune en tient compte.")
        )
        return redirect("informatique:device_types")
    return render(
        request,
        "informatique/community_device_types.html",
        {"service": get_registry().get(SERVICE), "form": form},
        status=400 if form.errors else 200,
    )


class DeadlineFilterForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Dates limites de dénonciation"),
        required=False,
        coerce=int,
        empty_value=rules.DEADLINE_WARNING_DAYS,
        choices=[
            (str(rules.DEADLINE_WARNING_DAYS), _("dans les 90 jours")),
            ("180", _("dans les 6 mois")),
            ("365", _("dans l'année")),
            ("0", _("toutes")),
        ],
    )


@access(Policy.SERVICE)
def contract_deadlines(request):
    """The contracts of every subscribing commune, by next notice deadline: what the service must help denounce."""
    form = DeadlineFilterForm(request.GET or None)
    days = form.cleaned_data["days"] if form.is_valid() else rules.DEADLINE_WARNING_DAYS
    today = timezone.localdate()
    communes = {c.insee_code: c for c in communes_with_service(SERVICE)}
    kinds = dict(Contract.Kind.choices)
    rows = []
    for code, pk, kind, supplier, subject, _start, end, tacit, renewal, notice, denounced, amount in fleet.contracts(
        list(communes.values())
    ):
        term = rules.Term(end, tacit, renewal, notice, denounced)
        deadline = rules.next_notice_deadline(term, today)
        if deadline is None or (days and (deadline - today).days > days):
            continue
        rows.append(
            {
                "commune": communes[code],
                "url": f"{communes[code].url}services/{SERVICE}/contrats/{pk}/",
                "kind": kinds.get(kind, kind),
                "supplier": supplier,
                "subject": subject,
                "deadline": deadline,
                "days_left": (deadline - today).days,
                "soon": (deadline - today).days <= rules.DEADLINE_WARNING_DAYS,
                "end": rules.end_for_deadline(term, deadline),
                "tacit": tacit,
                "amount": amount,
            }
        )
    rows.sort(key=lambda r: (r["deadline"], r["commune"].name))
    return render(
        request,
        "informatique/community_contracts.html",
        {"service": get_registry().get(SERVICE), "form": form, "rows": rows, "days": days},
        status=400 if form.errors else 200,
    )
