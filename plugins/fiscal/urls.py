from django.urls import path

from plugins.fiscal import views

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("tableau-de-bord/", views.widget, name="widget"),
    path("rei/import/", views.rei_import, name="rei_import"),
    path("locaux/", views.locals_list, name="locals"),
    path("locaux/import/", views.locals_import, name="locals_import"),
    path("locaux/import/<str:job>/", views.locals_import_progress, name="locals_import_progress"),
    path("permis/import/", views.permits_import, name="permits_import"),
    path("permis/ajouter/", views.permit_add, name="permit_add"),
    path("signalements/", views.signalements, name="signalements"),
    path("signalements/detecter/", views.detect, name="detect"),
    path("signalements/regles/", views.rule_settings, name="rules"),
    path("signalements/export/<str:format>/", views.signalements_export, name="signalements_export"),
    path("signalements/<int:pk>/", views.signalement_outcome, name="outcome"),
]
