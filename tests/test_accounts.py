"""Signing in and out, password reset, login throttling, API tokens, and the audit trail they leave."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from mutualise.accounts.models import ApiToken, CommuneMembership, ServiceMembership
from mutualise.models import AuditEntry
from tests.conftest import PASSWORD, make_user


def login(client: Client, email: str, password: str = PASSWORD):
    client.get("/connexion/")
    return client.post("/connexion/", {"username": email, "password": password})


@pytest.mark.parametrize("space", ["commune", "community"])
def test_login_and_logout_on_every_host(space, commune, commune_agent, community_admin):
    user = commune_agent if space == "commune" else community_admin
    host = commune.host if space == "commune" else "localhost"
    client = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    page = client.get("/connexion/")
    assert page.status_code == 200 and "Connexion" in page.content.decode()
    token = client.cookies["csrftoken"].value
    before = client.cookies.get("sessionid")
    response = client.post(
        "/connexion/", {"username": user.email.upper(), "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.cookies["sessionid"].value != getattr(before, "value", None)  # a new session at login
    assert client.cookies["sessionid"]["domain"] == ""  # host-only cookie
    assert AuditEntry.objects.filter(action="connexion", actor=user).exists()
    token = client.cookies["csrftoken"].value
    assert client.post("/deconnexion/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get("/")["Location"].startswith("/connexion/")
    assert AuditEntry.objects.filter(action="deconnexion", actor=user).exists()


def test_forms_require_csrf(commune, commune_agent):
    client = Client(HTTP_HOST=commune.host, enforce_csrf_checks=True)
    response = client.post("/connexion/", {"username": commune_agent.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()


def test_htmx_requests_carry_the_csrf_token(commune, commune_agent, client_on):
    body = client_on(commune, commune_agent).get("/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body


def test_wrong_password_is_refused_in_french_and_audited(commune, commune_agent):
    client = Client(HTTP_HOST=commune.host)
    response = login(client, commune_agent.email, "mauvais-mot-de-passe")
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()
    entry = AuditEntry.objects.get(action="connexion.echec")
    assert entry.target == commune_agent.email and entry.commune == commune
    assert "mauvais" not in str(entry.after)


def test_repeated_failures_lock_the_login_out(commune, commune_agent, settings):
    client = Client(HTTP_HOST=commune.host)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, commune_agent.email, "mauvais")
    locked = login(client, commune_agent.email, PASSWORD)  # even the right password, while locked out
    assert locked.status_code in (403, 429)
    assert "Connexion temporairement bloquée" in locked.content.decode()
    assert client.get("/")["Location"].startswith("/connexion/")
    other = Client(HTTP_HOST=commune.host, REMOTE_ADDR="10.0.0.2")
    assert login(other, commune_agent.email, PASSWORD).status_code == 302  # another address is not locked


def test_password_reset_by_email_in_french(commune, commune_agent):
    client = Client(HTTP_HOST=commune.host)
    response = client.post("/mot-de-passe/oubli/", {"email": commune_agent.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Choisir un nouveau mot de passe"
    link = re.search(r"http://gignac\.localhost/mot-de-passe/nouveau/\S+", message.body)[0]
    page = client.get(link.removeprefix("http://gignac.localhost"), follow=True)
    assert "Nouveau mot de passe" in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": "un-nouveau-mot-2026", "new_password2": "un-nouveau-mot-2026"})
    assert done.status_code == 302
    commune_agent.refresh_from_db()
    assert commune_agent.check_password("un-nouveau-mot-2026")


def test_password_reset_for_an_unknown_address_says_nothing(commune):
    response = Client(HTTP_HOST=commune.host).post("/mot-de-passe/oubli/", {"email": "personne@nulle-part.test"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_weak_passwords_are_refused(commune, commune_agent):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        validate_password("12345678", commune_agent)
    assert any("court" in message or "courant" in message for message in error.value.messages)


def test_admin_is_for_community_administrators_only(commune, commune_agent, community_admin, client_on):
    assert client_on(None, community_admin).get("/admin/").status_code == 200
    refused = client_on(None, commune_agent).get("/admin/")
    assert refused.status_code == 403
    assert client_on(commune, community_admin).get("/admin/").status_code == 404  # no admin on commune hosts


def test_api_tokens_shown_once_stored_hashed_and_revocable(commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    page = client.post("/compte/jetons/", {"name": "Tableur de la mairie"})
    token = re.search(r"mut_[0-9a-f]{12}_[A-Za-z0-9_-]+", page.content.decode())[0]
    record = ApiToken.objects.get(user=commune_agent)
    assert record.commune == commune and token not in record.digest and record.digest != token
    assert token not in client.get("/compte/jetons/").content.decode()  # never shown again
    api = Client(HTTP_HOST=commune.host, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/exemple/notes/").status_code == 403  # authenticated, service not subscribed
    client.post(f"/compte/jetons/{record.pk}/revoquer/")
    refused = api.get("/api/v1/exemple/notes/")
    assert refused.status_code == 401 and refused.json()["detail"] == "Jeton d'API invalide ou révoqué."
    actions = list(AuditEntry.objects.filter(target__startswith="Tableur").values_list("action", flat=True))
    assert sorted(actions) == ["jeton.cree", "jeton.revoque"]


def test_someone_else_s_token_cannot_be_revoked(commune, commune_agent, client_on):
    from mutualise.accounts.tokens import issue_token

    owner = make_user("autre@gignac.test")
    CommuneMembership.objects.create(user=owner, commune=commune, role="agent")
    record, _ = issue_token(owner, "le sien", commune)
    response = client_on(commune, commune_agent).post(f"/compte/jetons/{record.pk}/revoquer/")
    assert response.status_code == 404
    record.refresh_from_db()
    assert record.revoked_at is None


def test_role_changes_are_audited(commune, community_admin, client_on):
    user = make_user("nouvelle@gignac.test")
    membership = CommuneMembership.objects.create(user=user, commune=commune, role="lecteur")
    membership.role = "agent"
    membership.save()
    membership.delete()
    ServiceMembership.objects.create(user=user, service="informatique", role="agent")
    user.is_staff = True
    user.save()
    actions = list(AuditEntry.objects.filter(target=user.email).order_by("id").values_list("action", flat=True))
    assert actions == ["role.attribue", "role.modifie", "role.retire", "role.attribue", "role.administrateur"]


def test_no_session_for_someone_without_a_right_in_the_space(commune, other_commune, commune_agent):
    client = Client(HTTP_HOST=other_commune.host)
    response = login(client, commune_agent.email)
    assert response.status_code == 200
    assert "Ce compte n&#x27;a pas accès à cet espace" in response.content.decode()
    assert "sessionid" not in client.cookies or not client.cookies["sessionid"].value
    assert not AuditEntry.objects.filter(action="connexion", actor=commune_agent).exists()
