from django.urls import path

from plugins.fiscal import views

urlpatterns = [path("", views.IndexView.as_view(), name="index")]
