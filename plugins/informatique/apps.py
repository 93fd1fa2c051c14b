from django.apps import AppConfig


class InformatiqueConfig(AppConfig):
    name = "plugins.informatique"
    label = "informatique"
    verbose_name = "Informatique"
