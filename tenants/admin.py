"""Django admin for communes and subscriptions (community administrators only)."""

from django.contrib import admin

from tenants.models import Commune, Domain, Intercommunality, Subscription
from tenants.provisioning import provision
from tenants.setup import ensure_domain


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["name", "insee_code", "siren", "departement", "population"]
    search_fields = ["name", "insee_code", "siren"]
    readonly_fields = ["schema_name", "created_at"]
    inlines = [DomainInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            ensure_domain(obj)
            provision(obj)

    # A commune leaves through `mutualise commune delete`, which exports it first and removes its schema and files
    # too; deleting the row here would leave them behind.
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["commune", "service", "active", "start_date", "end_date", "convention_reference"]
    list_filter = ["service", "active"]

    # Subscriptions change through the console, which audits each change and tells the plugin.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Intercommunality)
admin.site.site_header = "Administration de Mutualise"
admin.site.site_title = "Mutualise"
