from django.urls import path

from plugins.rh import views

urlpatterns = [path("", views.IndexView.as_view(), name="index")]
