from django.apps import AppConfig


class UrbanismeConfig(AppConfig):
    name = "plugins.urbanisme"
    label = "urbanisme"
    verbose_name = "Ingénierie urbanisme"
