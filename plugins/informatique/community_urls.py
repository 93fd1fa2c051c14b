from django.urls import path

from plugins.informatique import community

urlpatterns = [
    path("", community.CommunityIndexView.as_view(), name="index"),
    path("renouvellement/", community.renewal_forecast, name="renewal"),
    path("renouvellement/export/<str:format>/", community.export_renewal_forecast, name="renewal_export"),
    path("schemas-directeurs/", community.schema_actions, name="schemas"),
    path("reglages/", community.device_types, name="device_types"),
    path("contrats/", community.contract_deadlines, name="contracts"),
]
