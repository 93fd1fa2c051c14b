from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Communes et souscriptions"

    def ready(self) -> None:
        from tenants import resolution

        resolution.connect_signals()
