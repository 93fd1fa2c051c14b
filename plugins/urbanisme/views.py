"""Commune side of the Ingénierie urbanisme service."""

from mutualise.views import ServiceLandingView
from plugins.urbanisme.models import PlanningProcedure


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(procedures=PlanningProcedure.objects.all(), **kwargs)
