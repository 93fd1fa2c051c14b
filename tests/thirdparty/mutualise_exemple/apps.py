from django.apps import AppConfig


class ExempleConfig(AppConfig):
    name = "mutualise_exemple"
    label = "mutualise_exemple"
    verbose_name = "Service exemple"
