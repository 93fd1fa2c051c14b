from django.apps import AppConfig


class AchatsCoordinationConfig(AppConfig):
    name = "plugins.achats.coordination"
    label = "achats_coordination"
    verbose_name = "Groupements d'achats (coordination)"
    default_auto_field = "django.db.models.BigAutoField"
