from django.urls import path

from plugins.achats import community

urlpatterns = [
    path("", community.IndexView.as_view(), name="index"),
    path("tableau-de-bord/", community.widget, name="widget"),
    path("groupements/nouveau/", community.create, name="create"),
    path("groupements/<int:pk>/", community.detail, name="groupement"),
    path("groupements/<int:pk>/synthese/", community.aggregate, name="aggregate"),
    path("groupements/<int:pk>/modifier/", community.edit, name="edit"),
    path("groupements/<int:pk>/statut/", community.change_status, name="status"),
    path("groupements/<int:pk>/articles/", community.add_article, name="article"),
    path("groupements/<int:pk>/attribution/", community.award, name="award"),
    path("groupements/<int:pk>/prix/", community.import_prices, name="prices"),
    path("groupements/<int:pk>/export/<str:format>/", community.export_needs, name="export"),
    path("groupements/<int:pk>/repartition/<str:insee>.pdf", community.allocation_statement, name="allocation_pdf"),
    path(
        "groupements/<int:pk>/communes/<str:insee>/deliberation/",
        community.deliberation_document,
        name="deliberation_document",
    ),
]
