from django.urls import path

from plugins.amenagement import views

urlpatterns = [path("", views.IndexView.as_view(), name="index")]
