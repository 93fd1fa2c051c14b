from django.urls import path

from plugins.juridique import views

urlpatterns = [path("", views.IndexView.as_view(), name="index")]
