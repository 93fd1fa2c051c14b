"""Hook implementations of the third-party service ``exemple``."""

from mutualise import hookimpl
from mutualise.contract import ApiRoute, BilanSection, Indicator, NavEntry, PeriodicTask, ServiceInfo

events = []  # what the platform announced to this plugin, for the tests to read


@hookimpl
def mutualise_service():
    return ServiceInfo(
        slug="exemple",
        label="Service exemple",
        description="Un service tiers.",
        version="1.0.0",
        platform=">=0.1",
    )


@hookimpl
def mutualise_commune_urls():
    from django.urls import path

    from mutualise_exemple import views

    return [path("", views.index, name="index"), path("export.csv", views.export, name="export")]


@hookimpl
def mutualise_api_routes(space):
    from mutualise_exemple import views

    return [ApiRoute("notes", views.NoteViewSet, "note")] if space == "commune" else []


@hookimpl
def mutualise_navigation(request, space):
    return [NavEntry(label="Exemple", url_name="index")]


@hookimpl
def mutualise_bilan_section(year, communes):
    return BilanSection(
        title="Service exemple",
        indicators=[Indicator("Communes", len(communes))],
        per_commune={c.insee_code: [Indicator("Adhérente", 1)] for c in communes},
    )


@hookimpl
def mutualise_periodic_tasks():
    return [PeriodicTask(name="compter-les-notes", task="mutualise_exemple.tasks.count_notes", schedule=3600)]


@hookimpl
def mutualise_service_enabled(commune, subscription):
    events.append(("enabled", commune.insee_code))


@hookimpl
def mutualise_service_disabled(commune, subscription):
    events.append(("disabled", commune.insee_code))
