from django.apps import AppConfig


class AmenagementConfig(AppConfig):
    name = "plugins.amenagement"
    label = "amenagement"
    verbose_name = "Opérations d'aménagement"
