"""The Assistance marchés publics service's face to the platform: its hook implementations."""

from mutualise import __version__, hookimpl
from mutualise.contract import NavEntry, RequestType, ServiceInfo


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="marches",
        label="Assistance marchés publics",
        description="Préparation, passation et suivi des marchés publics des communes.",
        icon="contrat",
        version=__version__,
        platform=">=0.1,<1",
    )


@hookimpl
def mutualise_commune_urls():
    from plugins.marches import urls

    return urls.urlpatterns


@hookimpl
def mutualise_community_urls():
    from plugins.marches import community_urls

    return community_urls.urlpatterns


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Assistance marchés publics", url_name="index")]


@hookimpl
def mutualise_request_types():
    from plugins.marches.models import Procedure

    natures = tuple(Procedure.Nature.choices)
    return [
        RequestType(
            "consultation",
            "Accompagnement d'une consultation (DCE, publicité, analyse des offres)",
            categories=natures,
        ),
        RequestType("execution", "Exécution d'un marché (avenant, sous-traitance, reconduction)", categories=natures),
        RequestType("conseil", "Question ponctuelle (seuils, choix de la procédure)"),
    ]


@hookimpl
def mutualise_bilan_section(year, communes):
    from plugins.marches import report

    return report.bilan_section(year, communes)


@hookimpl
def mutualise_activity_units(commune, start, end):
    from plugins.marches import report

    return report.activity_units(start, end)


@hookimpl
def mutualise_demo_data(commune):
    from plugins.marches import demo

    demo.create(commune)
