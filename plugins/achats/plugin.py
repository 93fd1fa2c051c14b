"""The Groupements d'achats service's face to the platform: its hook implementations."""

from mutualise import __version__, hookimpl
from mutualise.contract import ApiRoute, NavEntry, PeriodicTask, RequestType, ServiceInfo, Widget

PURCHASES = (
    ("fournitures_bureau", "Fournitures de bureau et papier"),
    ("entretien", "Produits d'entretien"),
    ("energie", "Énergie"),
    ("assurances", "Assurances"),
    ("verifications", "Vérifications périodiques"),
    ("extincteurs", "Extincteurs"),
    ("telephonie", "Téléphonie"),
    ("copieurs", "Copieurs"),
    ("epi", "Équipements de protection individuelle"),
    ("autre", "Autre"),
)


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="achats",
        label="Groupements d'achats",
        description="Groupements de commandes des communes : convention, recensement des besoins, attribution, "
        "répartition des frais et économies.",
        icon="panier",
        version=__version__,
        platform=">=0.1,<1",
        # The groupements belong to the intercommunality (its coordinator): their tables live in the public schema.
        shared_app="plugins.achats.coordination",
    )


@hookimpl
def mutualise_commune_urls():
    from plugins.achats import urls

    return urls.urlpatterns


@hookimpl
def mutualise_community_urls():
    from plugins.achats import community_urls

    return community_urls.urlpatterns


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Groupements d'achats", url_name="index")]


@hookimpl
def mutualise_dashboard_widgets(request, space):
    if space == "commune":
        return [Widget(title="Recensements en attente de réponse", url_name="widget")]
    return [Widget(title="Recensements ouverts", url_name="widget")]


@hookimpl
def mutualise_api_routes(space):
    from plugins.achats import api

    if space == "commune":
        return [
            ApiRoute("groupements", api.CommuneGroupementViewSet, "groupement"),
            ApiRoute("besoins", api.CommuneNeedViewSet, "besoin"),
        ]
    return [
        ApiRoute("groupements", api.CommunityGroupementViewSet, "groupement"),
        ApiRoute("besoins", api.CommunityNeedViewSet, "besoin"),
    ]


@hookimpl
def mutualise_periodic_tasks():
    from celery.schedules import crontab

    # Every morning while a census is open; the task itself sends at most one reminder a day per commune.
    return [
        PeriodicTask(
            name="relances-recensement", task="plugins.achats.tasks.remind_census", schedule=crontab(hour=8, minute=0)
        )
    ]


@hookimpl
def mutualise_request_types():
    return [
        RequestType("adhesion", "Adhésion à un groupement de commandes", categories=PURCHASES),
        RequestType("proposition", "Proposition d'un nouvel achat groupé", categories=PURCHASES),
    ]


@hookimpl
def mutualise_bilan_section(year, communes):
    from plugins.achats import report

    return report.bilan_section(year, communes)


@hookimpl
def mutualise_activity_units(commune, start, end):
    from plugins.achats import report

    return report.activity_units(start, end)


@hookimpl
def mutualise_service_enabled(commune, subscription):
    from plugins.achats import services

    services.invite_to_open_groupements(commune)


@hookimpl
def mutualise_demo_data(commune):
    from plugins.achats import demo

    demo.create(commune)
