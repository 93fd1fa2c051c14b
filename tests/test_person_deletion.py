"""A person is deactivated, never deleted: their name stays on demandes and in the audit journal."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from mutualise.accounts.models import User
from tests.conftest import make_user

REFUSAL = "Une personne ne se supprime pas : désactivez son compte ; son nom reste sur les demandes et dans le journal."


def test_deleting_a_person_is_refused_in_french_and_deletes_nothing(commune_agent):
    with pytest.raises(ValidationError) as error:
        commune_agent.delete()
    assert error.value.messages == [REFUSAL]
    assert User.objects.filter(pk=commune_agent.pk, is_active=True).exists()
    assert commune_agent.commune_memberships.exists()  # nothing cascaded either


def test_deleting_people_in_bulk_is_refused_too(commune_agent):
    other = make_user("autre.agent@gignac.test")
    with pytest.raises(ValidationError) as error:
        User.objects.filter(pk__in=[commune_agent.pk, other.pk]).delete()
    assert error.value.messages == [REFUSAL]
    assert User.objects.filter(pk__in=[commune_agent.pk, other.pk]).count() == 2


def test_the_admin_offers_no_deletion_of_people(commune_agent, community_admin, client_on):
    """People are managed in the console, which deactivates them; the admin has no page, action or right to delete
    one."""
    client = client_on(None, community_admin)
    for url in (
        f"/admin/accounts/user/{commune_agent.pk}/delete/",
        "/admin/accounts/user/",
    ):
        assert client.get(url).status_code in (403, 404)
    response = client.post(
        "/admin/accounts/user/", {"action": "delete_selected", "_selected_action": [commune_agent.pk], "post": "yes"}
    )
    assert response.status_code in (403, 404)
    request = RequestFactory().get("/admin/")
    request.user = community_admin
    model_admin = admin.site._registry.get(User)  # should people ever get an admin page: without deletion
    assert model_admin is None or not model_admin.has_delete_permission(request, commune_agent)
    assert User.objects.filter(pk=commune_agent.pk).exists()
