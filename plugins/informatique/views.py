"""Commune side of the Informatique service: inventory, contracts, renewal plan, schéma directeur, exports."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mutualise import audit
from mutualise.access import Policy, access
from mutualise.exports import table_response
from mutualise.imports import ImportFailed
from mutualise.plugins import get_registry
from mutualise.templatetags.mutualise import euros
from mutualise.views import ServiceLandingView
from plugins.informatique import charts, imports, os_support, report, rules
from plugins.informatique.forms import ContractForm, SchemaActionForm
from plugins.informatique.models import Asset, Contract, SchemaAction
from plugins.informatique.reglages.models import instance_tables

SERVICE = "informatique"

EXPORT_COLUMNS = [
    ("Nom", "name"),
    ("Type", "get_kind_display"),
    ("Lieu", "site"),
    ("Fabricant", "manufacturer"),
    ("Modèle", "model"),
    ("Numéro de série", "serial_number"),
    ("Numéro d'inventaire", "inventory_number"),
    ("Statut", "get_status_display"),
    ("Utilisateur", "assigned_to"),
    ("Système d'exploitation - Nom", "os_name"),
    ("Système d'exploitation - Version", "os_version"),
    ("Adresse IP", "ip_address"),
    ("Adresse MAC", "mac_address"),
    ("Fournisseur", "supplier"),
    ("Date d'achat", "purchase_date"),
    ("Date de fin de garantie", "warranty_end"),
    ("Valeur d'achat HT", "purchase_value"),
]


class IndexView(ServiceLandingView):
    """The inventory, each device with its planned replacement year."""

    def get_context_data(self, **kwargs):
        lifetimes, _costs = instance_tables()
        assets = list(Asset.objects.all())
        for asset in assets:
            asset.due_year = rules.replacement_year(asset.kind, asset.purchase_date, lifetimes)
        return super().get_context_data(assets=assets, this_year=timezone.localdate().year, **kwargs)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV de l'inventaire"),
        help_text=_("Export de GLPI ou tableur enregistré en CSV (séparateur ; ou ,)."),
    )


def import_assets(request):
    """Upload an inventory file: every line is checked first; one error and nothing is imported."""
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            created, updated = imports.import_assets(form.cleaned_data["file"].read())
        except ImportFailed as failure:
            errors = failure.errors
        else:
            messages.success(
                request,
                _("Inventaire importé : %(created)d équipement(s) ajouté(s), %(updated)d mis à jour.")
                % {"created": created, "updated": updated},
            )
            return redirect("informatique:index")
    status = 400 if errors or form.errors else 200
    return render(request, "informatique/import.html", {"form": form, "errors": errors}, status=status)


EXPORT_FORMATS = {"excel", "csv", "xlsx"}


def check_format(format: str) -> None:
    if format not in EXPORT_FORMATS:
        raise Http404("Format d'export inconnu.")


def export_assets(request, format: str):
    check_format(format)
    rows = (
        [getattr(asset, attr)() if attr.startswith("get_") else getattr(asset, attr) for _, attr in EXPORT_COLUMNS]
        for asset in Asset.objects.all()
    )
    name = f"inventaire-{request.commune.slug}"
    return table_response(
        request, name, [title for title, _ in EXPORT_COLUMNS], rows, format=format, service="informatique"
    )


@access(Policy.SERVICE)
def widget_demandes(request):
    """The dashboard card: open demandes to the service, and the share meeting service levels over 12 months."""
    return render(request, "informatique/widget_demandes.html", report.open_demandes_card(timezone.now()))


@access(Policy.SERVICE)
def widget_renewal(request):
    """The dashboard card: devices to replace this year."""
    today = timezone.localdate()
    return render(request, "informatique/widget_renewal.html", {"row": report.renewal_card(today)})


def widget(request):
    """The dashboard card: equipment in service, and how many are past their warranty."""
    from django.db.models import Count, Q
    from django.utils import timezone

    figures = Asset.objects.exclude(status=Asset.Status.RETIRED).aggregate(
        total=Count("id"), out_of_warranty=Count("id", filter=Q(warranty_end__lt=timezone.localdate()))
    )
    return render(request, "informatique/widget.html", figures)


# -- Contracts ------------------------------------------------------------------------------------------------------


def service_context(request, **context) -> dict:
    return {"service": get_registry().get(SERVICE), **context}


def contracts_by_deadline(today):
    """The commune's contracts with their next term end and notice deadline, the nearest deadline first."""
    contracts = list(Contract.objects.prefetch_related("assets"))
    for contract in contracts:
        contract.current_end = contract.next_end_date(today)
        contract.deadline = contract.next_notice_deadline(today)
        contract.days_left = (contract.deadline - today).days if contract.deadline else None
        contract.soon = contract.days_left is not None and contract.days_left <= rules.DEADLINE_WARNING_DAYS
    return sorted(contracts, key=lambda c: (c.deadline is None, c.deadline or c.end_date, c.supplier))


@access(Policy.SERVICE)
def contract_list(request):
    """The commune's contracts, sorted by next notice deadline; those within 90 days are flagged."""
    today = timezone.localdate()
    contracts = contracts_by_deadline(today)
    total = sum((c.annual_amount or 0) for c in contracts if c.current_end >= today)
    return render(
        request,
        "informatique/contracts.html",
        service_context(
            request, contracts=contracts, total=total, warning_days=rules.DEADLINE_WARNING_DAYS, today=today
        ),
    )


def _snapshot(contract: Contract) -> dict:
    return {
        "type": contract.get_kind_display(),
        "fournisseur": contract.supplier,
        "objet": contract.subject,
        "debut": contract.start_date,
        "fin": contract.end_date,
        "montant_annuel": contract.annual_amount,
    }


@access(Policy.SERVICE)
def contract_edit(request, pk: int | None = None):
    """Create (no ``pk``) or edit a contract; inconsistent dates or notice give French form errors, nothing saved."""
    contract = get_object_or_404(Contract, pk=pk) if pk is not None else None
    before = _snapshot(contract) if contract else None
    form = ContractForm(request.POST or None, instance=contract)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            audit.record(
                "informatique.contrat." + ("modifie" if contract else "cree"),
                commune=request.commune,
                service=SERVICE,
                target=str(saved),
                before=before,
                after=_snapshot(saved),
            )
        messages.success(request, gettext("Contrat enregistré."))
        return redirect("informatique:contracts")
    return render(
        request,
        "informatique/contract_form.html",
        service_context(request, form=form, contract=contract),
        status=400 if form.errors else 200,
    )


@access(Policy.SERVICE)
def contract_delete(request, pk: int):
    """Ask for confirmation (GET), then delete (POST)."""
    contract = get_object_or_404(Contract, pk=pk)
    if request.method == "POST":
        with transaction.atomic():
            audit.record(
                "informatique.contrat.supprime",
                commune=request.commune,
                service=SERVICE,
                target=str(contract),
                before=_snapshot(contract),
            )
            contract.delete()
        messages.success(request, gettext("Contrat supprimé."))
        return redirect("informatique:contracts")
    return render(request, "informatique/contract_delete.html", service_context(request, contract=contract))


CONTRACT_COLUMNS = [
    "Type",
    "Fournisseur",
    "Référence",
    "Objet",
    "Date de début",
    "Date de fin initiale",
    "Tacite reconduction",
    "Reconduction (mois)",
    "Préavis (mois)",
    "Fin de la période en cours",
    "Date limite de dénonciation",
    "Montant annuel TTC",
    "Dénoncé le",
    "Équipements couverts",
]


@access(Policy.SERVICE)
def export_contracts(request, format: str):
    check_format(format)
    today = timezone.localdate()
    rows = (
        [
            c.get_kind_display(),
            c.supplier,
            c.reference,
            c.subject,
            c.start_date,
            c.end_date,
            c.tacit_renewal,
            c.renewal_months,
            c.notice_months,
            c.current_end,
            c.deadline,
            c.annual_amount,
            c.denounced_on,
            ", ".join(a.name for a in c.assets.all()),
        ]
        for c in contracts_by_deadline(today)
    )
    return table_response(
        request, f"contrats-{request.commune.slug}", CONTRACT_COLUMNS, rows, format=format, service=SERVICE
    )


# -- Renewal plan ---------------------------------------------------------------------------------------------------


def forecast_chart(chart_id: str, plan: list[rules.YearForecast], where: str) -> charts.BarChart:
    """The bar chart of a forecast; its description repeats the figures (the table next to it has them too)."""
    title = gettext("Coût estimé des renouvellements par année — %(where)s") % {"where": where}
    desc = "; ".join(
        gettext("%(year)s : %(count)s équipement(s), %(cost)s")
        % {"year": r.year, "count": r.count, "cost": euros(r.cost)}
        for r in plan
    )
    return charts.bar_chart(chart_id, title, desc, [(str(r.year), r.cost, euros(r.cost, 0)) for r in plan])


def renewal_rows(today, lifetimes, costs):
    """The devices in use with their replacement year, estimated cost and flags, the soonest to replace first."""
    assets = list(Asset.objects.exclude(status=Asset.Status.RETIRED))
    for asset in assets:
        asset.due_year = rules.replacement_year(asset.kind, asset.purchase_date, lifetimes)
        asset.cost = asset.purchase_value if asset.purchase_value is not None else costs.get(asset.kind)
        asset.no_warranty = rules.out_of_warranty(asset.warranty_end, today)
        asset.os_end = os_support.end_of_support(asset.os_name, asset.os_version)
        asset.old_os = asset.os_end is not None and asset.os_end < today
    assets.sort(key=lambda a: (a.due_year is None, a.due_year or 0, a.site, a.name))
    return assets


@access(Policy.SERVICE)
def renewal_plan(request):
    """The commune's renewal plan: forecast per year (table and chart), then each device with its flags."""
    today = timezone.localdate()
    lifetimes, costs = instance_tables()
    assets = renewal_rows(today, lifetimes, costs)
    plan = rules.forecast(rules.groups_of(assets), today.year, lifetime_table=lifetimes, cost_table=costs)
    return render(
        request,
        "informatique/renewal.html",
        service_context(
            request,
            assets=assets,
            plan=plan,
            today=today,
            chart=forecast_chart("prevision", plan, request.commune.name),
            total=sum((r.cost for r in plan), Decimal("0")),
            planned=sum(r.count for r in plan),
            undated=sum(1 for a in assets if a.purchase_date is None),
            no_warranty=sum(1 for a in assets if a.no_warranty),
            old_os=sum(1 for a in assets if a.old_os),
            lifetimes=[(label, lifetimes.get(value, rules.FALLBACK_LIFETIME)) for value, label in Asset.Kind.choices],
        ),
    )


FORECAST_COLUMNS = ["Année", "Équipements à remplacer", "Dont déjà en retard", "Coût estimé HT"]


@access(Policy.SERVICE)
def export_forecast(request, format: str):
    """The forecast per year as a table to download."""
    check_format(format)
    today = timezone.localdate()
    lifetimes, costs = instance_tables()
    plan = rules.forecast(
        rules.groups_of(renewal_rows(today, lifetimes, costs)), today.year, lifetime_table=lifetimes, cost_table=costs
    )
    rows = ([r.year, r.count, r.overdue, r.cost] for r in plan)
    return table_response(
        request, f"renouvellement-{request.commune.slug}", FORECAST_COLUMNS, rows, format=format, service=SERVICE
    )


RENEWAL_COLUMNS = [
    "Nom",
    "Type",
    "Lieu",
    "Date d'achat",
    "Année de remplacement",
    "Coût estimé HT",
    "Fin de garantie",
    "Hors garantie",
    "Système d'exploitation",
    "Fin de support du système",
    "Système non supporté",
]


@access(Policy.SERVICE)
def export_renewal_assets(request, format: str):
    """Each device of the plan, with its replacement year and flags."""
    check_format(format)
    rows = (
        [
            a.name,
            a.get_kind_display(),
            a.site,
            a.purchase_date,
            a.due_year,
            a.cost,
            a.warranty_end,
            a.no_warranty,
            f"{a.os_name} {a.os_version}".strip(),
            a.os_end,
            a.old_os,
        ]
        for a in renewal_rows(timezone.localdate(), *instance_tables())
    )
    return table_response(
        request,
        f"renouvellement-equipements-{request.commune.slug}",
        RENEWAL_COLUMNS,
        rows,
        format=format,
        service=SERVICE,
    )


# -- Schéma directeur -----------------------------------------------------------------------------------------------


@access(Policy.SERVICE)
def schema_list(request):
    """The commune's schéma directeur: its actions year by year, with estimated and realised costs."""
    actions = list(SchemaAction.objects.all())
    years: dict[int, list] = {}
    for action in actions:
        years.setdefault(action.year, []).append(action)
    by_status = {value: [label, 0, Decimal("0")] for value, label in SchemaAction.Status.choices}
    for action in actions:
        by_status[action.status][1] += 1
        by_status[action.status][2] += action.estimated_cost or 0
    return render(
        request,
        "informatique/schema.html",
        service_context(
            request,
            years=sorted(years.items()),
            by_status=list(by_status.values()),
            spent=sum((a.spent for a in actions), Decimal("0")),
        ),
    )


@access(Policy.SERVICE)
def schema_edit(request, pk: int | None = None):
    """Add (no ``pk``) or edit an action of the schéma directeur."""
    action = get_object_or_404(SchemaAction, pk=pk) if pk is not None else None
    before = {"statut": action.status, "annee": action.year, "cout_estime": action.estimated_cost} if action else None
    initial = {"year": timezone.localdate().year + 1} if action is None else None
    form = SchemaActionForm(request.POST or None, instance=action, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            audit.record(
                "informatique.schema." + ("modifie" if action else "ajoute"),
                commune=request.commune,
                service=SERVICE,
                target=str(saved),
                before=before,
                after={"statut": saved.status, "annee": saved.year, "cout_estime": saved.estimated_cost},
            )
        messages.success(request, gettext("Action enregistrée."))
        return redirect("informatique:schema")
    return render(
        request,
        "informatique/schema_form.html",
        service_context(request, form=form, action=action),
        status=400 if form.errors else 200,
    )


@access(Policy.SERVICE)
def schema_delete(request, pk: int):
    """Ask for confirmation (GET), then delete (POST)."""
    action = get_object_or_404(SchemaAction, pk=pk)
    if request.method == "POST":
        with transaction.atomic():
            audit.record("informatique.schema.supprime", commune=request.commune, service=SERVICE, target=str(action))
            action.delete()
        messages.success(request, gettext("Action supprimée."))
        return redirect("informatique:schema")
    return render(request, "informatique/schema_delete.html", service_context(request, action=action))
