from django.urls import path

from plugins.achats import views

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("tableau-de-bord/", views.widget, name="widget"),
    path("groupements/<int:pk>/", views.groupement_detail, name="groupement"),
    path("groupements/<int:pk>/deliberation/", views.upload_deliberation, name="deliberation"),
    path("groupements/<int:pk>/deliberation/document/", views.deliberation_document, name="deliberation_document"),
    path("groupements/<int:pk>/export/<str:format>/", views.export_needs, name="export"),
    path("groupements/<int:pk>/repartition.pdf", views.allocation_statement, name="allocation_pdf"),
    path("groupements/<int:pk>/commandes/", views.record_order, name="order"),
]
