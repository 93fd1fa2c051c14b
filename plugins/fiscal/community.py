"""Community side of the Observatoire fiscal: the subscribing communes side by side, and the imports that cover
many communes at once (the REI of the département, an instance-wide cadastral extract)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from mutualise.services import communes_with_service
from plugins.fiscal import charts, queries, rules, views
from plugins.fiscal.access import require_cadastre
from plugins.fiscal.models import FiscalBase
from plugins.fiscal.views import render_page

TAX_LABELS = dict(FiscalBase.Tax.choices)


def index(request: HttpRequest) -> HttpResponse:
    """Every subscribing commune's latest figures and the territory's aggregates: a handful of queries for a
    communauté de communes, never a query per commune (per table, one UNION ALL per batch of their schemas)."""
    communes = list(communes_with_service("fiscal"))
    rows = queries.territory_rows(communes)
    by_commune = {c.insee_code: c for c in communes}
    latest = max((r["year"] for r in rows), default=None)
    table, groups = [], {}
    for row in rows:
        groups.setdefault((row["year"], row["tax"]), []).append(row)
        if row["year"] == latest:
            commune = by_commune[row["insee"]]
            table.append(
                {
                    "commune": commune,
                    "tax": TAX_LABELS.get(row["tax"], row["tax"]),
                    "row": row,
                    "per_inhabitant": rules.per_inhabitant(row["base"], commune.population),
                }
            )
    aggregates = [
        {"year": year, "tax": TAX_LABELS.get(tax, tax), "aggregate": rules.aggregate(items)}
        for (year, tax), items in sorted(groups.items(), key=lambda item: (-item[0][0], item[0][1]))
    ]
    tfpb = [t for t in table if t["row"]["tax"] == FiscalBase.Tax.TFPB]
    chart = (
        charts.bar_chart(
            _("Base nette de foncier bâti par habitant en %(year)s") % {"year": latest},
            [(t["commune"].name, t["per_inhabitant"]) for t in tfpb],
            unit="\u00a0€",
            description=_("Une barre par commune adhérente ; le tableau « Communes » donne les mêmes chiffres."),
        )
        if tfpb
        else None
    )
    totals = queries.signalement_totals(communes)
    shares = {insee: rules.share_of_categories(counts) for insee, counts in queries.category_counts(communes).items()}
    return render_page(
        request,
        "fiscal/community.html",
        {
            "communes": communes,
            "latest": latest,
            "table": table,
            "chart": chart,
            "aggregates": aggregates,
            "totals": [(c, totals.get(c.insee_code), shares.get(c.insee_code)) for c in communes],
        },
    )


def rei_import(request: HttpRequest) -> HttpResponse:
    """The service imports a REI file covering many communes; each subscribing commune's rows go to its schema."""
    communes = list(communes_with_service("fiscal"))
    return views.rei_import_page(request, communes, "fiscal/community_rei_import.html", "fiscal:index")


def locals_import(request: HttpRequest) -> HttpResponse:
    """An instance-wide cadastral extract, routed to the subscribing communes by parcel."""
    require_cadastre(request)
    form = views.LocalsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = views.start_locals_import(request, form.cleaned_data["file"], None)
        return redirect("fiscal:locals_import_progress", job=job)
    return render_page(
        request,
        "fiscal/community_locals_import.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def locals_import_progress(request: HttpRequest, job: str) -> HttpResponse:
    require_cadastre(request)
    return views.progress_page(request, job, "fiscal:index")
