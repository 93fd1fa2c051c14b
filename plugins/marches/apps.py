from django.apps import AppConfig


class MarchesConfig(AppConfig):
    name = "plugins.marches"
    label = "marches"
    verbose_name = "Assistance marchés publics"
