"""URLs of the community space (the base domain), where the intercommunality works."""

from django.contrib import admin
from django.urls import include, path

from mutualise import console, files, views
from mutualise.demandes import views as demandes_views
from mutualise.routing import api_urlpatterns, service_urlpatterns

urlpatterns = [
    path("", views.community_home, name="home"),
    path("", include("mutualise.accounts.urls")),
    path("communes/", console.communes, name="console_communes"),
    path("communes/<str:insee_code>/", console.commune_detail, name="console_commune"),
    path("souscriptions/", console.matrix, name="console_matrix"),
    path("souscriptions/<str:insee_code>/<slug:slug>/", console.matrix_cell, name="console_matrix_cell"),
    path("demandes/", console.requests_list, name="console_requests"),
    path("demandes/<int:pk>/", console.request_decide, name="console_request"),
    path("file/", demandes_views.queue, name="queue"),
    path("file/<str:insee_code>/<int:pk>/", demandes_views.queue_detail, name="queue_detail"),
    path(
        "file/<str:insee_code>/<int:pk>/pieces/<int:attachment_id>/",
        demandes_views.queue_attachment,
        name="queue_attachment",
    ),
    path("niveaux-de-service/", console.service_levels, name="console_service_levels"),
    path("niveaux-de-service/horaires/", console.service_calendar_edit, name="console_service_calendar"),
    path("niveaux-de-service/<slug:slug>/", console.service_level_edit, name="console_service_level"),
    path("journal/", console.audit_log, name="console_audit"),
    path("journal/export.csv", console.audit_export, name="console_audit_export"),
    path("utilisateurs/", include("mutualise.accounts.console_urls")),
    path("services/", include(service_urlpatterns("community"))),
    path("api/v1/", include((api_urlpatterns("community"), "api"))),
    path("admin/", admin.site.urls),
    path("fichiers/<path:name>", files.serve, name="file"),
    path("sante/", views.health, name="health"),
]

handler400 = "mutualise.views.bad_request"
handler403 = "mutualise.views.forbidden"
handler404 = "mutualise.views.not_found"
handler500 = "mutualise.views.server_error"
