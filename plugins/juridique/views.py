"""Commune side of the Assistance juridique service."""

from mutualise.views import ServiceLandingView
from plugins.juridique.models import Consultation


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(consultations=Consultation.objects.all(), **kwargs)
