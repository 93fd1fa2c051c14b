from django.apps import AppConfig


class JuridiqueConfig(AppConfig):
    name = "plugins.juridique"
    label = "juridique"
    verbose_name = "Assistance juridique"
