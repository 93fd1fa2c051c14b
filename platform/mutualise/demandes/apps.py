from django.apps import AppConfig


class DemandesConfig(AppConfig):
    name = "mutualise.demandes"
    label = "demandes"
    verbose_name = "Demandes"

    def ready(self) -> None:
        from mutualise.demandes import notifications  # noqa: F401 -- registers its Celery tasks
