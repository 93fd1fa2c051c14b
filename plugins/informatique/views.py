"""Commune side of the Informatique service."""

from mutualise.views import ServiceLandingView
from plugins.informatique.models import Asset


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(assets=Asset.objects.all(), **kwargs)
