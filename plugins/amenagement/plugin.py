"""The Opérations d'aménagement service's face to the platform: its hook implementations."""

from mutualise import __version__, hookimpl
from mutualise.contract import NavEntry, RequestType, ServiceInfo


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="amenagement",
        label="Opérations d'aménagement",
        description="Opérations de bâtiments et d'infrastructures des communes, des études à la réception.",
        icon="chantier",
        version=__version__,
        platform=">=0.1,<1",
    )


@hookimpl
def mutualise_commune_urls():
    from plugins.amenagement import urls

    return urls.urlpatterns


@hookimpl
def mutualise_community_urls():
    from plugins.amenagement import community_urls

    return community_urls.urlpatterns


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Opérations d'aménagement", url_name="index")]


@hookimpl
def mutualise_request_types():
    from plugins.amenagement.models import Operation

    kinds = tuple(Operation.Kind.choices)
    return [
        RequestType("amo", "Assistance à maîtrise d'ouvrage (programme, enveloppe, suivi)", categories=kinds),
        RequestType("mandat", "Maîtrise d'ouvrage déléguée (mandat)", categories=kinds),
        RequestType("garantie", "Désordre après réception (parfait achèvement, décennale)", categories=kinds),
    ]


@hookimpl
def mutualise_bilan_section(year, communes):
    from plugins.amenagement import report

    return report.bilan_section(year, communes)


@hookimpl
def mutualise_activity_units(commune, start, end):
    from plugins.amenagement import report

    return report.activity_units(start, end)


@hookimpl
def mutualise_demo_data(commune):
    from plugins.amenagement import demo

    demo.create(commune)
