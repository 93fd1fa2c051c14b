"""Commune side of the Observatoire fiscal service."""

from mutualise.views import ServiceLandingView
from plugins.fiscal.models import FiscalBase


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(bases=FiscalBase.objects.all(), **kwargs)
