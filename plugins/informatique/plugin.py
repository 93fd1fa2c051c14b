"""The Informatique service's face to the platform: its hook implementations."""

from mutualise import __version__, hookimpl
from mutualise.contract import NavEntry, PeriodicTask, RequestType, ServiceInfo, Widget

CATEGORIES = (
    ("poste", "Poste de travail"),
    ("impression", "Impression"),
    ("telephonie", "Téléphonie"),
    ("messagerie", "Messagerie"),
    ("logiciel_metier", "Logiciel métier"),
    ("reseau", "Réseau"),
    ("sauvegarde", "Sauvegarde"),
    ("securite", "Sécurité"),
    ("site_web", "Site web"),
)


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="informatique",
        label="Informatique",
        description="Assistance informatique, inventaire du parc, contrats et plan de renouvellement.",
        icon="ordinateur",
        version=__version__,
        platform=">=0.1,<1",
        shared_app="plugins.informatique.reglages",
    )


@hookimpl
def mutualise_commune_urls():
    from plugins.informatique import urls

    return urls.urlpatterns


@hookimpl
def mutualise_community_urls():
    from plugins.informatique import community_urls

    return community_urls.urlpatterns


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Informatique", url_name="index")]


@hookimpl
def mutualise_dashboard_widgets(request, space):
    if space != "commune":
        return []
    return [
        Widget(title="Parc informatique", url_name="widget"),
        Widget(title="Demandes informatiques", url_name="widget_demandes", order=101),
        Widget(title="Renouvellements de l'année", url_name="widget_renewal", order=102),
    ]


@hookimpl
def mutualise_request_types():
    return [
        RequestType("incident", "Incident", categories=CATEGORIES, uses_priority_matrix=True),
        RequestType("demande", "Demande (matériel, logiciel, accès, formation)", categories=CATEGORIES),
    ]


@hookimpl
def mutualise_bilan_section(year, communes):
    from plugins.informatique import report

    return report.bilan_section(year, communes)


@hookimpl
def mutualise_activity_units(commune, start, end):
    from plugins.informatique import report

    return report.activity_units(start, end)


@hookimpl
def mutualise_periodic_tasks():
    from celery.schedules import crontab

    # Every morning: reminders before the contracts' notice deadlines (each sent once, see tasks.py).
    return [
        PeriodicTask(
            name="rappels-contrats",
            task="plugins.informatique.tasks.contract_reminders",
            schedule=crontab(hour=7, minute=0),
        )
    ]


@hookimpl
def mutualise_demo_data(commune):
    from plugins.informatique import demo

    demo.create(commune)
