"""Commune side of the Groupements d'achats service."""

from mutualise.views import ServiceLandingView
from plugins.achats.models import Participation


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(participations=Participation.objects.all(), **kwargs)
