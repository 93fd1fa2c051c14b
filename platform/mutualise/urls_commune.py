"""URLs of a commune's space (``<commune>.<base domain>``)."""

from django.urls import include, path

from mutualise import files, views
from mutualise.demandes import views as demandes_views
from mutualise.routing import api_urlpatterns, service_urlpatterns

urlpatterns = [
    path("", views.commune_home, name="home"),
    path("", include("mutualise.accounts.urls")),
    path("services/", include(service_urlpatterns("commune"))),
    path("demander/<slug:slug>/", views.ask_for_service, name="ask_for_service"),
    path("demandes/", demandes_views.commune_list, name="demandes"),
    path("demandes/nouvelle/<slug:slug>/", demandes_views.commune_create, name="demande_create"),
    path("demandes/<int:pk>/", demandes_views.commune_detail, name="demande"),
    path("demandes/<int:pk>/pieces/<int:attachment_id>/", demandes_views.commune_attachment, name="demande_attachment"),
    path("api/v1/", include((api_urlpatterns("commune"), "api"))),
    path("fichiers/<path:name>", files.serve, name="file"),
    path("sante/", views.health, name="health"),
]

handler400 = "mutualise.views.bad_request"
handler403 = "mutualise.views.forbidden"
handler404 = "mutualise.views.not_found"
handler500 = "mutualise.views.server_error"
