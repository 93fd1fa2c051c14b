"""The Ingénierie urbanisme service's face to the platform: its hook implementations."""

from mutualise import __version__, hookimpl
from mutualise.contract import NavEntry, RequestType, ServiceInfo


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="urbanisme",
        label="Ingénierie urbanisme",
        description="Procédures du PLU ou de la carte communale des communes, et veille réglementaire.",
        icon="plan",
        version=__version__,
        platform=">=0.1,<1",
    )


@hookimpl
def mutualise_commune_urls():
    from plugins.urbanisme import urls

    return urls.urlpatterns


@hookimpl
def mutualise_community_urls():
    from plugins.urbanisme import community_urls

    return community_urls.urlpatterns


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Ingénierie urbanisme", url_name="index")]


@hookimpl
def mutualise_request_types():
    from plugins.urbanisme.models import PlanningProcedure

    procedures = tuple(PlanningProcedure.Type.choices)
    return [
        RequestType("procedure", "Procédure sur le document d'urbanisme (PLU, carte communale)", categories=procedures),
        RequestType("avis", "Avis ou note sur un projet ou une autorisation d'urbanisme"),
    ]


@hookimpl
def mutualise_bilan_section(year, communes):
    from plugins.urbanisme import report

    return report.bilan_section(year, communes)


@hookimpl
def mutualise_activity_units(commune, start, end):
    from plugins.urbanisme import report

    return report.activity_units(start, end)


@hookimpl
def mutualise_demo_data(commune):
    from plugins.urbanisme import demo

    demo.create(commune)
