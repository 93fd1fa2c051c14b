from django.urls import path

from mutualise.views import ServiceCommunityView

urlpatterns = [path("", ServiceCommunityView.as_view(), name="index")]
