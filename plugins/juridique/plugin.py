"""The Assistance juridique service's face to the platform: its hook implementations."""

from mutualise import __version__, hookimpl
from mutualise.contract import NavEntry, RequestType, ServiceInfo


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="juridique",
        label="Assistance juridique",
        description="Consultations juridiques, suivi des contentieux et veille juridique pour les communes.",
        icon="balance",
        version=__version__,
        platform=">=0.1,<1",
    )


@hookimpl
def mutualise_commune_urls():
    from plugins.juridique import urls

    return urls.urlpatterns


@hookimpl
def mutualise_community_urls():
    from plugins.juridique import community_urls

    return community_urls.urlpatterns


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Assistance juridique", url_name="index")]


@hookimpl
def mutualise_request_types():
    from plugins.juridique.models import Consultation

    domains = tuple(Consultation.Domain.choices)
    return [
        RequestType("consultation", "Demande de consultation juridique", categories=domains),
        RequestType("contentieux", "Contentieux (recours, référé, déféré préfectoral)", categories=domains),
    ]


@hookimpl
def mutualise_bilan_section(year, communes):
    from plugins.juridique import report

    return report.bilan_section(year, communes)


@hookimpl
def mutualise_activity_units(commune, start, end):
    from plugins.juridique import report

    return report.activity_units(start, end)


@hookimpl
def mutualise_demo_data(commune):
    from plugins.juridique import demo

    demo.create(commune)
