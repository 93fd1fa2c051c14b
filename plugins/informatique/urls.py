from django.urls import path

from plugins.informatique import views

urlpatterns = [path("", views.IndexView.as_view(), name="index")]
