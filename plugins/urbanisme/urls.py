from django.urls import path

from plugins.urbanisme import views

urlpatterns = [path("", views.IndexView.as_view(), name="index")]
