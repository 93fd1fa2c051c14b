from django.urls import path

from plugins.achats import views

urlpatterns = [path("", views.IndexView.as_view(), name="index")]
