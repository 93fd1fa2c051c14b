"""The API's schema and its documentation page, for each space.

The commune API (``<commune>.<domaine>/api/v1/``) and the community API (``<domaine>/api/v1/``) are different URL
configurations, so each space serves its own schema (:class:`SchemaView`) and its own Swagger UI (:class:`DocsView`),
both from the product's static files (drf-spectacular-sidecar): no CDN, no inline script.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render, resolve_url
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mutualise.access import Outcome, Policy
from mutualise.api import PolicyPermission
from mutualise.contract import Space


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema of one space (YAML; JSON with ``?format=json``)."""

    access_policy = Policy.SPACE
    permission_classes = [PolicyPermission]
    space: Space = "commune"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        self.urlconf = settings.ROOT_URLCONF if self.space == "commune" else settings.PUBLIC_SCHEMA_URLCONF
        return super().get(request, *args, **kwargs)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI for the space's schema; its settings script comes in a second request (no inline script)."""

    access_policy = Policy.SPACE
    permission_classes = [PolicyPermission]
    template_name = "mutualise/api_docs.html"
    url_name = "api:schema"
    title = _("API Mutualise")

    def handle_exception(self, exc):
        """A page for people: the login page or the French 403 page rather than an error in JSON."""
        response = super().handle_exception(exc)
        outcome = getattr(response, "access_outcome", None)
        if outcome is Outcome.LOGIN:
            page = redirect_to_login(self.request.get_full_path(), resolve_url(settings.LOGIN_URL))
        elif outcome is Outcome.FORBIDDEN:
            page = render(self.request._request, "403.html", status=403)
        else:
            return response
        page.access_outcome = outcome
        return page


def schema_urlpatterns(space: Space) -> list:
    """``schema/`` and ``docs/`` under the space's ``api/v1/`` (namespace ``api``)."""
    return [
        path("schema/", SchemaView.as_view(space=space), name="schema"),
        path("docs/", DocsView.as_view(), name="docs"),
    ]
