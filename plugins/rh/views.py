"""Commune side of the Assistance RH service."""

from mutualise.views import ServiceLandingView
from plugins.rh.models import TrainingAction


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(actions=TrainingAction.objects.all(), **kwargs)
