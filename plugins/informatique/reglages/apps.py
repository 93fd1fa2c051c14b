from django.apps import AppConfig


class InformatiqueReglagesConfig(AppConfig):
    name = "plugins.informatique.reglages"
    label = "informatique_reglages"
    verbose_name = "Informatique (réglages de l'intercommunalité)"
    default_auto_field = "django.db.models.BigAutoField"
