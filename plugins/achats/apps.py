from django.apps import AppConfig


class AchatsConfig(AppConfig):
    name = "plugins.achats"
    label = "achats"
    verbose_name = "Groupements d'achats"
