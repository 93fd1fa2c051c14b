"""Commune side of the Observatoire fiscal: bases and indicators, imports, cadastral locals and signalements.

Every page here runs in the commune's schema, behind the service's access policy. Cadastral data (locals, their
import, signalements) is further kept to the people :func:`plugins.fiscal.access.can_see_cadastre` allows.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mutualise.exports import table_response
from mutualise.files import CommuneFileStorage
from mutualise.imports import ImportFailed
from mutualise.services import communes_with_service
from mutualise.views import ServiceLandingView
from plugins.fiscal import anomalies, charts, queries, rei, rules, tasks
from plugins.fiscal.access import can_see_cadastre, require_cadastre
from plugins.fiscal.models import FiscalBase, Local, Permit, Signalement

TAX_LABELS = dict(FiscalBase.Tax.choices)


def render_page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    """Render one of the service's pages, with the service's description its layout shows."""
    from mutualise.plugins import get_registry

    return render(request, template, {"service": get_registry().get("fiscal"), **context}, status=status)


def indicators_context(commune) -> dict:
    """What the commune's page shows: its indicators per tax and year, the territory's aggregates, the charts."""
    rows = list(FiscalBase.objects.values("year", "tax", "base", "rate", "product", "articles"))
    indicators = rules.tax_indicators(rows, commune.population)
    aggregates = queries.territory_aggregates(list(communes_with_service("fiscal")))
    counts = {
        category: count
        for category, count in Local.objects.filter(affectation="H", category__isnull=False)
        .values_list("category")
        .annotate(n=Count("local_id"))
    }
    lines = []
    for item in indicators:
        aggregate = aggregates.get((item.year, item.tax))
        lines.append(
            {
                "item": item,
                "label": TAX_LABELS.get(item.tax, item.tax),
                "aggregate": aggregate,
                "gap": rules.rate_gap(item.rate, aggregate.mean_rate if aggregate else None),
            }
        )
    latest = max((i.year for i in indicators), default=None)
    chart = None
    if latest is not None:
        bars = []
        for line in lines:
            if line["item"].year == latest and line["item"].base_per_inhabitant is not None:
                bars.append((f"{line['label']}", line["item"].base_per_inhabitant))
                median = line["aggregate"].median_base_per_inhabitant if line["aggregate"] else None
                if median is not None:
                    bars.append((_("%(tax)s, médiane du territoire") % {"tax": line["item"].tax.upper()}, median))
        chart = charts.bar_chart(
            _("Bases nettes par habitant en %(year)s") % {"year": latest},
            bars,
            unit="\u00a0€",
            description=_(
                "Base nette par habitant de la commune pour chaque taxe, et médiane des communes adhérentes."
            ),
        )
    return {
        "lines": lines,
        "latest": latest,
        "chart": chart,
        "bars": chart and bars,
        "category_share": rules.share_of_categories(counts),
        "category_counts": sorted(counts.items()),
    }


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(indicators_context(self.request.commune))
        context["cadastre"] = can_see_cadastre(self.request)
        context["signalements"] = Signalement.objects.count() if context["cadastre"] else None
        return context


class ReiForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier REI (CSV)"),
        help_text=gettext_lazy(
            "Fichier de la DGFiP (une ligne par commune, colonnes E11, E12…) ou fichier long de l'OFGL "
            "(annee;idcom;…;valeur). Séparateur ; ou , ; virgule ou point décimal."
        ),
    )
    year = forms.IntegerField(
        label=gettext_lazy("Année"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=gettext_lazy("Seulement si le fichier ne donne pas l'année (fichier de la DGFiP)."),
    )


def rei_import_page(request: HttpRequest, communes, template: str, done_url: str) -> HttpResponse:
    """The REI import form, for a commune (``communes``: itself) or the community (the subscribing communes)."""
    form = ReiForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = rei.import_rei(form.cleaned_data["file"].read(), communes, year=form.cleaned_data["year"])
        except ImportFailed as failure:
            errors = failure.errors
        else:
            messages.success(
                request,
                _(
                    "REI importé : %(rows)d ligne(s) pour %(communes)d commune(s) ; %(skipped)d ligne(s) de "
                    "%(outside)d autre(s) commune(s) écartée(s) ; %(ignored)d variable(s) non suivie(s)."
                )
                % {
                    "rows": result.rows,
                    "communes": result.communes,
                    "skipped": result.skipped_rows,
                    "outside": len(result.skipped_communes),
                    "ignored": result.ignored_lines,
                },
            )
            return redirect(done_url)
    status = 400 if errors or form.errors else 200
    return render_page(request, template, {"form": form, "errors": errors}, status=status)


def rei_import(request: HttpRequest) -> HttpResponse:
    """A commune imports its own REI figures (rows of other communes are left aside)."""
    return rei_import_page(request, [request.commune], "fiscal/rei_import.html", "fiscal:index")


class LocalsForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Extrait cadastral (CSV)"),
        help_text=gettext_lazy(
            "Fichiers fonciers ou MAJIC en CSV : idlocal, idpar, adresse, ccoaff, dcapec, stoth, jannath, dvltrt, "
            "ccthp, jandeb, janimp, propriétaire… Le fichier remplace les locaux déjà importés."
        ),
    )


def start_locals_import(request: HttpRequest, upload: UploadedFile, commune_id: int | None) -> str:
    """Keep the upload in the space's storage and queue its import after commit; return the job id."""
    job = tasks.new_job()
    name = CommuneFileStorage().save(f"{tasks.UPLOAD_FOLDER}/{job}.csv", upload)
    transaction.on_commit(lambda: tasks.import_locals_task.delay(job, name, commune_id))
    return job


def locals_import(request: HttpRequest) -> HttpResponse:
    """A commune's référent uploads its cadastral extract; the import runs as a task with a progress bar."""
    require_cadastre(request)
    form = LocalsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = start_locals_import(request, form.cleaned_data["file"], request.commune.id)
        return redirect("fiscal:locals_import_progress", job=job)
    return render_page(request, "fiscal/locals_import.html", {"form": form}, status=400 if form.errors else 200)


def progress_page(request: HttpRequest, job: str, back_url: str) -> HttpResponse:
    """The progress of an import: the whole page, or (htmx polling) the bar alone until the job ends."""
    state = tasks.job_state(job) if len(job) == 32 and job.isalnum() else None
    if state is None:
        raise Http404(_("Import inconnu."))
    context = {"job": job, "state": state, "percent": round(state.get("progress", 0) * 100), "back_url": back_url}
    if request.htmx:
        return render(request, "fiscal/progress.html#bar", context)
    return render_page(request, "fiscal/progress.html", context)


def locals_import_progress(request: HttpRequest, job: str) -> HttpResponse:
    require_cadastre(request)
    return progress_page(request, job, "fiscal:locals")


def locals_list(request: HttpRequest) -> HttpResponse:
    """The commune's cadastral locals (owners included): référents and the service's agents only."""
    require_cadastre(request)
    rows = Local.objects.all()
    parcel = request.GET.get("parcelle", "").strip().upper()[:14]
    if parcel:
        rows = rows.filter(parcel__startswith=parcel)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render_page(request, "fiscal/locals.html", {"page": page, "parcel": parcel, "total": Local.objects.count()})


class PermitsForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Permis et DAACT (CSV)"),
        help_text=gettext_lazy("Colonnes : numéro, parcelle, adresse, objet, accordé le, DAACT le (JJ/MM/AAAA)."),
    )


def permits_import(request: HttpRequest) -> HttpResponse:
    """Import the permits and their DAACT, to find new buildings not yet taxed."""
    require_cadastre(request)
    form = PermitsForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            created, updated = anomalies.import_permits(form.cleaned_data["file"].read())
        except ImportFailed as failure:
            errors = failure.errors
        else:
            messages.success(
                request,
                _("Permis importés : %(created)d ajouté(s), %(updated)d mis à jour.")
                % {"created": created, "updated": updated},
            )
            return redirect("fiscal:signalements")
    status = 400 if errors or form.errors else 200
    return render_page(request, "fiscal/permits_import.html", {"form": form, "errors": errors}, status=status)


class PermitForm(forms.ModelForm):
    class Meta:
        model = Permit
        fields = ["reference", "parcel", "address", "description", "granted_on", "completed_on"]
        widgets = {"granted_on": forms.DateInput(format="%d/%m/%Y"), "completed_on": forms.DateInput(format="%d/%m/%Y")}

    def clean_parcel(self) -> str:
        from plugins.fiscal.cadastre import PARCEL_RE

        parcel = self.cleaned_data["parcel"].upper().replace(" ", "")
        if not PARCEL_RE.fullmatch(parcel):
            raise forms.ValidationError(
                _("Référence de parcelle sur 14 caractères : commune, préfixe, section, numéro.")
            )
        return parcel


def permit_add(request: HttpRequest) -> HttpResponse:
    """Enter one permit and its DAACT by hand."""
    require_cadastre(request)
    form = PermitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Permis enregistré."))
        return redirect("fiscal:signalements")
    return render_page(request, "fiscal/permit_add.html", {"form": form}, status=400 if form.errors else 200)


def signalements(request: HttpRequest) -> HttpResponse:
    """The signalements of the commune, with the rules' settings and the totals gained."""
    require_cadastre(request)
    items = Signalement.objects.all()
    status = request.GET.get("statut", "")
    if status in Signalement.Status.values:
        items = items.filter(status=status)
    accepted = [s for s in Signalement.objects.filter(status=Signalement.Status.ACCEPTED)]
    return render_page(
        request,
        "fiscal/signalements.html",
        {
            "page": Paginator(items, 100).get_page(request.GET.get("page")),
            "settings": anomalies.settings(),
            "statuses": Signalement.Status.choices,
            "status": status,
            "base_gain": sum((s.base_gain or Decimal(0) for s in accepted), Decimal(0)),
            "product_gain": sum((s.product_gain or Decimal(0) for s in accepted), Decimal(0)),
        },
    )


@require_POST
def detect(request: HttpRequest) -> HttpResponse:
    require_cadastre(request)
    added = anomalies.detect()
    messages.success(request, _("%(count)d nouveau(x) signalement(s).") % {"count": added})
    return redirect("fiscal:signalements")


@require_POST
def rule_settings(request: HttpRequest) -> HttpResponse:
    """Turn rules on or off and change their thresholds."""
    require_cadastre(request)
    values, errors = {}, []
    for setting in anomalies.settings():
        code = setting.rule.code
        raw = request.POST.get(f"{code}-seuil", "").strip()
        if not raw.isdigit() or int(raw) > 999:
            errors.append(
                _("Seuil illisible pour « %(rule)s » : un nombre entier de 0 à 999.") % {"rule": setting.rule.label}
            )
            continue
        values[code] = (request.POST.get(f"{code}-active") == "on", int(raw))
    if errors:
        for error in errors:
            messages.error(request, error)
        return redirect("fiscal:signalements")
    anomalies.save_settings(values)
    messages.success(request, _("Réglages des règles enregistrés."))
    return redirect("fiscal:signalements")


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Statut"), choices=Signalement.Status.choices)
    new_rental_value = forms.DecimalField(
        label=gettext_lazy("Nouvelle VL (€)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    decided_on = forms.DateField(
        label=gettext_lazy("Décidé le"), required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"]
    )


def signalement_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what the CCID and the DGFiP decided for one signalement."""
    require_cadastre(request)
    signalement = get_object_or_404(Signalement, pk=pk)
    form = OutcomeForm(
        request.POST or None,
        initial={
            "status": signalement.status,
            "new_rental_value": signalement.new_rental_value,
            "decided_on": signalement.decided_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        anomalies.record_outcome(
            signalement,
            form.cleaned_data["status"],
            form.cleaned_data["new_rental_value"],
            form.cleaned_data["decided_on"],
        )
        messages.success(request, _("Suite donnée enregistrée."))
        return redirect("fiscal:signalements")
    return render_page(
        request,
        "fiscal/outcome.html",
        {"form": form, "signalement": signalement},
        status=400 if form.errors else 200,
    )


EXPORT_FORMATS = {"xlsx", "excel", "csv"}


def signalements_export(request: HttpRequest, format: str) -> HttpResponse:
    """The list for the CCID session (XLSX or CSV), audited."""
    require_cadastre(request)
    if format not in EXPORT_FORMATS:
        raise Http404(_("Format d'export inconnu."))
    return table_response(
        request,
        f"signalements-ccid-{request.commune.slug}",
        anomalies.EXPORT_HEADER,
        anomalies.export_rows(),
        format=format,
        service="fiscal",
    )


def widget(request: HttpRequest) -> HttpResponse:
    """The dashboard card: the latest TFPB base and rate, and the signalements (for those who may see them)."""
    latest = FiscalBase.objects.filter(tax=FiscalBase.Tax.TFPB).first()
    flagged = Signalement.objects.count() if can_see_cadastre(request) else None
    return render_page(request, "fiscal/widget.html", {"latest": latest, "flagged": flagged})
