"""Commune side of the Opérations d'aménagement service."""

from mutualise.views import ServiceLandingView
from plugins.amenagement.models import Operation


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(operations=Operation.objects.all(), **kwargs)
