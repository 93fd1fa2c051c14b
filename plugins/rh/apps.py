from django.apps import AppConfig


class RhConfig(AppConfig):
    name = "plugins.rh"
    label = "rh"
    verbose_name = "Assistance RH"
