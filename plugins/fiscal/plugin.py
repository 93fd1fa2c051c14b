"""The Observatoire fiscal service's face to the platform: its hook implementations."""

from mutualise import __version__, hookimpl
from mutualise.contract import ApiRoute, NavEntry, RequestType, ServiceInfo, Widget


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="fiscal",
        label="Observatoire fiscal",
        description="Bases, taux et produits de la fiscalité locale des communes, et optimisation des bases.",
        icon="graphique",
        version=__version__,
        platform=">=0.1,<1",
    )


@hookimpl
def mutualise_commune_urls():
    from plugins.fiscal import urls

    return urls.urlpatterns


@hookimpl
def mutualise_community_urls():
    from plugins.fiscal import community_urls

    return community_urls.urlpatterns


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Observatoire fiscal", url_name="index")]


@hookimpl
def mutualise_dashboard_widgets(request, space):
    return [Widget(title="Observatoire fiscal", url_name="widget")] if space == "commune" else []


@hookimpl
def mutualise_api_routes(space):
    from plugins.fiscal import api

    if space == "commune":
        return [
            ApiRoute("bases", api.FiscalBaseViewSet, "base"),
            ApiRoute("signalements", api.SignalementViewSet, "signalement"),
        ]
    return [ApiRoute("territoire", api.TerritoryViewSet, "territoire")]


@hookimpl
def mutualise_request_types():
    from plugins.fiscal.models import FiscalBase

    taxes = tuple(FiscalBase.Tax.choices)
    return [
        RequestType("analyse", "Analyse fiscale (bases, taux, produits, vote des taux)", categories=taxes),
        RequestType("signalement", "Signalement de locaux à la DGFiP (optimisation des bases)", categories=taxes),
        RequestType("ccid", "Préparation de la commission communale des impôts directs (liste 41)"),
    ]


@hookimpl
def mutualise_bilan_section(year, communes):
    from plugins.fiscal import report

    return report.bilan_section(year, communes)


@hookimpl
def mutualise_activity_units(commune, start, end):
    from plugins.fiscal import report

    return report.activity_units(start, end)


@hookimpl
def mutualise_demo_data(commune):
    from plugins.fiscal import demo

    demo.create(commune)
