"""``mutualise migrate``: django-tenants' ``migrate_schemas``, then the commune template schema brought up to date."""

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.provisioning import refresh_template


class Command(MigrateSchemasCommand):
    help = "Applique les migrations au schéma public, à chaque commune et au schéma modèle des communes."

    def handle(self, *args, **options):
        super().handle(*args, **options)
        if self.sync_tenant and not options.get("schema_name"):
            refresh_template(verbosity=options.get("verbosity", 1))
