from django.urls import path

from plugins.marches import views

urlpatterns = [path("", views.IndexView.as_view(), name="index")]
