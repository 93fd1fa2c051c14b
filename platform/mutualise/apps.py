from django.apps import AppConfig


class MutualiseConfig(AppConfig):
    name = "mutualise"
    verbose_name = "Mutualise"

    def ready(self) -> None:
        # The project's Celery app becomes the current one, so that every @shared_task binds to it.
        from mutualise import celery  # noqa: F401
