from django.urls import path

from plugins.informatique import views

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("tableau-de-bord/", views.widget, name="widget"),
    path("tableau-de-bord/demandes/", views.widget_demandes, name="widget_demandes"),
    path("tableau-de-bord/renouvellement/", views.widget_renewal, name="widget_renewal"),
    path("inventaire/import/", views.import_assets, name="import"),
    path("inventaire/export/<str:format>/", views.export_assets, name="export"),
    path("contrats/", views.contract_list, name="contracts"),
    path("contrats/nouveau/", views.contract_edit, name="contract_create"),
    path("contrats/<int:pk>/", views.contract_edit, name="contract_edit"),
    path("contrats/<int:pk>/supprimer/", views.contract_delete, name="contract_delete"),
    path("contrats/export/<str:format>/", views.export_contracts, name="contracts_export"),
]
urlpatterns += [
    path("renouvellement/", views.renewal_plan, name="renewal"),
    path("renouvellement/export/<str:format>/", views.export_forecast, name="renewal_export"),
    path("renouvellement/equipements/export/<str:format>/", views.export_renewal_assets, name="renewal_assets_export"),
]
urlpatterns += [
    path("schema-directeur/", views.schema_list, name="schema"),
    path("schema-directeur/nouvelle/", views.schema_edit, name="schema_create"),
    path("schema-directeur/<int:pk>/", views.schema_edit, name="schema_edit"),
    path("schema-directeur/<int:pk>/supprimer/", views.schema_delete, name="schema_delete"),
]
