"""The bench site's only route (every variant uses it as ``ROOT_URLCONF``)."""

from django.urls import path

from benchsite.views import one_query

urlpatterns = [path("", one_query, name="one_query")]
