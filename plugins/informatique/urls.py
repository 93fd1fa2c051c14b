from django.urls import path

from plugins.informatique import views

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("tableau-de-bord/", views.widget, name="widget"),
    path("inventaire/import/", views.import_assets, name="import"),
    path("inventaire/export/<str:format>/", views.export_assets, name="export"),
]
