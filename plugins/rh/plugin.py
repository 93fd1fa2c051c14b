"""The Assistance RH service's face to the platform: its hook implementations."""

from mutualise import __version__, hookimpl
from mutualise.contract import NavEntry, RequestType, ServiceInfo

PREVENTION_CATEGORIES = (
    ("duerp", "Document unique (DUERP)"),
    ("registre", "Registre de santé et de sécurité au travail"),
    ("assistant_prevention", "Assistant de prévention"),
    ("accident", "Accident de service ou de trajet"),
)


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="rh",
        label="Assistance RH",
        description="Plan de formation, formations obligatoires, santé et sécurité au travail des agents.",
        icon="personnes",
        version=__version__,
        platform=">=0.1,<1",
    )


@hookimpl
def mutualise_commune_urls():
    from plugins.rh import urls

    return urls.urlpatterns


@hookimpl
def mutualise_community_urls():
    from plugins.rh import community_urls

    return community_urls.urlpatterns


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Assistance RH", url_name="index")]


@hookimpl
def mutualise_request_types():
    from plugins.rh.models import TrainingAction

    training_categories = tuple(TrainingAction.Category.choices)
    return [
        RequestType(
            "formation",
            "Formation (besoin, inscription, formation obligatoire)",
            categories=training_categories,
        ),
        RequestType("prevention", "Santé et sécurité au travail", categories=PREVENTION_CATEGORIES),
    ]


@hookimpl
def mutualise_bilan_section(year, communes):
    from plugins.rh import report

    return report.bilan_section(year, communes)


@hookimpl
def mutualise_activity_units(commune, start, end):
    from plugins.rh import report

    return report.activity_units(start, end)


@hookimpl
def mutualise_demo_data(commune):
    from plugins.rh import demo

    demo.create(commune)
