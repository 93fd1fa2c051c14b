"""Commune side of the Assistance marchés publics service."""

from mutualise.views import ServiceLandingView
from plugins.marches.models import Procedure


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(procedures=Procedure.objects.all(), **kwargs)
