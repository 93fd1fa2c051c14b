from django.urls import path

from plugins.fiscal import community

urlpatterns = [
    path("", community.index, name="index"),
    path("rei/import/", community.rei_import, name="rei_import"),
    path("locaux/import/", community.locals_import, name="locals_import"),
    path("locaux/import/<str:job>/", community.locals_import_progress, name="locals_import_progress"),
]
