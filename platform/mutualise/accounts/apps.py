from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mutualise.accounts"
    label = "accounts"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from mutualise.accounts import signals  # noqa: F401
