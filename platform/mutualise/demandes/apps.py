from django.apps import AppConfig


class DemandesConfig(AppConfig):
    name = "mutualise.demandes"
    label = "demandes"
    verbose_name = "Demandes"
