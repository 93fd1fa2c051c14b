from django.apps import AppConfig


class FiscalConfig(AppConfig):
    name = "plugins.fiscal"
    label = "fiscal"
    verbose_name = "Observatoire fiscal"
