"""People and their roles: invitations, the console's "Utilisateurs et rôles", a commune's référent, the profile."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mutualise.accounts import console
from mutualise.accounts.models import (
    CommuneMembership,
    Invitation,
    NotificationPreference,
    ServiceMembership,
    User,
)
from mutualise.accounts.notifications import email_recipients, wants_email
from mutualise.accounts.sessions import SESSION_HOST_KEY
from mutualise.models import AuditEntry
from tests.conftest import PASSWORD, make_user

NEW_PASSWORD = "Un-mot-de-passe-solide-2026"
LINK_RE = re.compile(r"https?://\S+/invitation/[A-Za-z0-9_-]+/")


@pytest.fixture
def referent(commune) -> User:
    user = make_user("referente@gignac.test", first_name="Rose", last_name="Référente")
    CommuneMembership.objects.create(user=user, commune=commune, role="referent")
    return user


def invitation_link() -> str:
    assert len(mail.outbox) >= 1
    return LINK_RE.search(mail.outbox[-1].body)[0]


def open_link(link: str) -> tuple[Client, str]:
    """An anonymous browser on the link's own host, and the link's path."""
    parts = urlsplit(link)
    return Client(HTTP_HOST=parts.netloc), parts.path


def written() -> tuple:
    """What an acceptance would change: accounts, roles, accepted invitations, audit entries."""
    return (
        User.objects.count(),
        CommuneMembership.objects.count(),
        ServiceMembership.objects.count(),
        Invitation.objects.filter(accepted_at__isnull=False).count(),
        AuditEntry.objects.count(),
    )


def invite(client: Client, **fields):
    data = {"email": "nouvelle@gignac.test", "first_name": "Nina", "last_name": "Nouvelle", **fields}
    return client.post("/utilisateurs/inviter/", data)


# -- Invitations, end to end ----------------------------------------------------------------------------------------


def test_invitation_end_to_end_on_the_commune_host(commune, community_admin, client_on):
    admin = client_on(None, community_admin)
    response = invite(
        admin, commune=commune.pk, commune_role="agent", service="informatique", service_role="responsable"
    )
    assert response.status_code == 302 and response["Location"] == "/utilisateurs/invitations/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle@gignac.test"]
    assert message.subject.startswith("Invitation à rejoindre")
    assert "Agent de la commune — commune de Gignac" in message.body
    link = invitation_link()
    assert link.startswith("http://gignac.localhost:8000/invitation/")  # the commune's host: a commune role
    secret = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get(email="nouvelle@gignac.test")
    assert secret not in invitation.digest and invitation.accepted_at is None
    assert invitation.expires_at - invitation.sent_at == datetime.timedelta(days=7)
    assert "nouvelle@gignac.test" in admin.get("/utilisateurs/invitations/").content.decode()

    browser, path = open_link(link)
    page = browser.get(path)
    assert page.status_code == 200
    assert "Choisissez un mot de passe" in page.content.decode()
    weak = browser.post(path, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "court" in weak.content.decode()
    assert not User.objects.filter(email="nouvelle@gignac.test").exists()

    done = browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/"
    user = User.objects.get(email="nouvelle@gignac.test")
    assert user.check_password(NEW_PASSWORD) and user.get_full_name() == "Nina Nouvelle"
    assert CommuneMembership.objects.get(user=user).role == "agent"
    assert ServiceMembership.objects.get(user=user).role == "responsable"
    assert not user.is_staff
    # signed in, on this host only
    assert browser.get("/").status_code == 200
    assert browser.session[SESSION_HOST_KEY] == "gignac.localhost"
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user
    granted = AuditEntry.objects.filter(action="role.attribue", target=user.email)
    assert granted.count() == 2 and {e.actor for e in granted} == {community_admin}
    assert AuditEntry.objects.filter(action="invitation.acceptee", actor=user).exists()
    assert AuditEntry.objects.filter(action="invitation.envoyee", actor=community_admin).exists()
    assert AuditEntry.objects.filter(action="connexion", actor=user, commune=commune).exists()


def test_invitation_without_commune_role_opens_on_the_console(community_admin, client_on):
    invite(client_on(None, community_admin), service="urbanisme", service_role="agent")
    link = invitation_link()
    assert link.startswith("http://localhost:8000/invitation/")
    browser, path = open_link(link)
    assert browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302
    assert browser.get("/").status_code == 200  # a service agent enters the console
    assert browser.session[SESSION_HOST_KEY] == "localhost"


def test_invitation_link_works_only_on_its_host(commune, other_commune, community_admin, client_on):
    invite(client_on(None, community_admin), commune=commune.pk, commune_role="lecteur")
    path = urlsplit(invitation_link()).path
    before = written()
    for host in ("localhost", other_commune.host):
        response = Client(HTTP_HOST=host).post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert response.status_code == 410
        assert "ne s&#x27;ouvre pas à cette adresse" in response.content.decode()
    assert written() == before


def test_used_expired_unknown_and_cancelled_links_write_nothing(commune, community_admin, client_on):
    admin = client_on(None, community_admin)
    invite(admin, commune=commune.pk, commune_role="agent")
    browser, path = open_link(invitation_link())
    assert browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302

    before = written()
    again = Client(HTTP_HOST=commune.host)
    reused = again.post(path, {"new_password1": "Autre-mot-de-passe-2026", "new_password2": "Autre-mot-de-passe-2026"})
    assert reused.status_code == 410 and "déjà été acceptée" in reused.content.decode()
    assert written() == before
    assert User.objects.get(email="nouvelle@gignac.test").check_password(NEW_PASSWORD)

    invite(admin, email="tardif@gignac.test", commune=commune.pk, commune_role="agent")
    late_path = urlsplit(invitation_link()).path
    Invitation.objects.filter(email="tardif@gignac.test").update(expires_at=timezone.now() - datetime.timedelta(1))
    before = written()
    for response in (
        again.get(late_path),
        again.post(late_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}),
    ):
        assert response.status_code == 410 and "a expiré" in response.content.decode()
    assert written() == before
    assert not User.objects.filter(email="tardif@gignac.test").exists()

    for unknown in ("/invitation/inconnu/", "/invitation/" + "x" * 5000 + "/", "/invitation/%00/"):
        response = again.post(unknown, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert response.status_code == 404, unknown
        assert "Invitation non valable" in response.content.decode() or response.status_code == 404
    assert written() == before

    invite(admin, email="annulee@gignac.test", commune=commune.pk, commune_role="agent")
    cancelled_path = urlsplit(invitation_link()).path
    invitation = Invitation.objects.get(email="annulee@gignac.test")
    assert admin.post(f"/utilisateurs/invitations/{invitation.pk}/annuler/").status_code == 302
    response = again.get(cancelled_path)
    assert response.status_code == 410 and "annulée" in response.content.decode()
    assert AuditEntry.objects.filter(action="invitation.annulee", actor=community_admin).exists()


def test_resending_issues_a_new_link_and_voids_the_old_one(commune, community_admin, client_on):
    admin = client_on(None, community_admin)
    invite(admin, commune=commune.pk, commune_role="agent")
    old_path = urlsplit(invitation_link()).path
    invitation = Invitation.objects.get(email="nouvelle@gignac.test")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(1))
    assert admin.post(f"/utilisateurs/invitations/{invitation.pk}/renvoyer/").status_code == 302
    assert len(mail.outbox) == 2
    new_path = urlsplit(invitation_link()).path
    assert new_path != old_path
    browser = Client(HTTP_HOST=commune.host)
    assert browser.get(old_path).status_code == 404
    assert browser.post(new_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302
    assert AuditEntry.objects.filter(action="invitation.renvoyee", actor=community_admin).exists()


def test_an_existing_account_confirms_with_its_own_password(commune, other_commune, client_on, community_admin):
    person = make_user("deja@saint-andre.test")
    CommuneMembership.objects.create(user=person, commune=other_commune, role="agent")
    invite(client_on(None, community_admin), email="DEJA@saint-andre.test", commune=commune.pk, commune_role="lecteur")
    browser, path = open_link(invitation_link())
    page = browser.get(path).content.decode()
    assert "Un compte existe déjà" in page and "new_password1" not in page
    wrong = browser.post(path, {"password": "pas-le-bon"})
    assert wrong.status_code == 200 and "Mot de passe incorrect" in wrong.content.decode()
    assert not CommuneMembership.objects.filter(user=person, commune=commune).exists()
    assert browser.post(path, {"password": PASSWORD}).status_code == 302
    assert CommuneMembership.objects.get(user=person, commune=commune).role == "lecteur"
    assert CommuneMembership.objects.get(user=person, commune=other_commune).role == "agent"  # kept
    assert User.objects.filter(email__iexact="deja@saint-andre.test").count() == 1
    assert browser.get("/").status_code == 200


def test_invitation_making_an_administrator(community_admin, client_on):
    invite(client_on(None, community_admin), email="dga@cc.test", is_admin="on")
    browser, path = open_link(invitation_link())
    assert browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302
    assert User.objects.get(email="dga@cc.test").is_staff
    entry = AuditEntry.objects.get(action="role.administrateur", target="dga@cc.test")
    assert entry.actor == community_admin and entry.after == {"administrateur": True}


# -- The commune's référent ----------------------------------------------------------------------------------------


def test_referent_invites_into_their_own_commune_only(commune, other_commune, referent, client_on):
    client = client_on(commune, referent)
    assert client.get("/commune/utilisateurs/inviter/").status_code == 200
    response = client.post(
        "/commune/utilisateurs/inviter/",
        {
            "email": "elu@gignac.test",
            "commune_role": "lecteur",
            # what a référent may not give, slipped into the form: ignored
            "commune": other_commune.pk,
            "service": "informatique",
            "service_role": "responsable",
            "is_admin": "on",
        },
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="elu@gignac.test")
    assert invitation.commune == commune and invitation.commune_role == "lecteur"
    assert invitation.service == "" and invitation.service_role == "" and not invitation.is_admin
    link = invitation_link()
    assert link.startswith("http://gignac.localhost:8000/")
    browser, path = open_link(link)
    assert browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302
    user = User.objects.get(email="elu@gignac.test")
    assert list(CommuneMembership.objects.filter(user=user).values_list("commune_id", "role")) == [
        (commune.pk, "lecteur")
    ]
    assert not ServiceMembership.objects.filter(user=user).exists() and not user.is_staff
    entry = AuditEntry.objects.get(action="role.attribue", target=user.email)
    assert entry.actor == referent and entry.commune == commune


def test_referent_cannot_manage_another_commune(commune, other_commune, referent, client_on):
    assert client_on(other_commune, referent).get("/commune/utilisateurs/").status_code in (302, 403)
    refused = Client(HTTP_HOST=other_commune.host)
    refused.cookies = client_on(commune, referent).cookies  # the référent's session, replayed on another commune
    response = refused.post("/commune/utilisateurs/inviter/", {"email": "x@y.test", "commune_role": "agent"})
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert client_on(None, referent).get("/utilisateurs/").status_code in (302, 403)
    assert not Invitation.objects.exists()
    # a member of the other commune is out of reach
    stranger = make_user("agent@saint-andre.test")
    CommuneMembership.objects.create(user=stranger, commune=other_commune, role="agent")
    client = client_on(commune, referent)
    assert client.post(f"/commune/utilisateurs/{stranger.pk}/role/", {"role": "lecteur"}).status_code == 404
    assert client.post(f"/commune/utilisateurs/{stranger.pk}/retirer/").status_code == 404
    assert CommuneMembership.objects.get(user=stranger).role == "agent"


def test_agent_is_not_a_referent(commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    assert client.get("/commune/utilisateurs/").status_code == 403
    assert (
        client.post("/commune/utilisateurs/inviter/", {"email": "x@y.test", "commune_role": "agent"}).status_code == 403
    )
    assert not Invitation.objects.exists()


def test_referent_changes_roles_and_removes_people(commune, referent, commune_agent, client_on):
    client = client_on(commune, referent)
    page = client.get("/commune/utilisateurs/").content.decode()
    assert commune_agent.email in page and "Rose Référente" in page
    assert client.post(f"/commune/utilisateurs/{commune_agent.pk}/role/", {"role": "lecteur"}).status_code == 302
    assert CommuneMembership.objects.get(user=commune_agent).role == "lecteur"
    entry = AuditEntry.objects.get(action="role.modifie", target=commune_agent.email)
    assert entry.actor == referent and entry.before == {"role": "agent"} and entry.after == {"role": "lecteur"}
    # unknown role, huge value: nothing changes, no error page
    for value in ("administrateur", "x" * 10000, ""):
        assert client.post(f"/commune/utilisateurs/{commune_agent.pk}/role/", {"role": value}).status_code == 302
    assert CommuneMembership.objects.get(user=commune_agent).role == "lecteur"
    # their own role is out of their hands
    client.post(f"/commune/utilisateurs/{referent.pk}/role/", {"role": "lecteur"})
    client.post(f"/commune/utilisateurs/{referent.pk}/retirer/")
    assert CommuneMembership.objects.get(user=referent).role == "referent"
    assert client.post(f"/commune/utilisateurs/{commune_agent.pk}/retirer/").status_code == 302
    assert not CommuneMembership.objects.filter(user=commune_agent).exists()
    assert User.objects.get(pk=commune_agent.pk).is_active  # the account stays
    assert AuditEntry.objects.filter(action="role.retire", actor=referent, target=commune_agent.email).exists()


def test_referent_cannot_touch_the_console_s_invitations(commune, referent, community_admin, client_on):
    invite(client_on(None, community_admin), commune=commune.pk, commune_role="agent", is_admin="on")
    invitation = Invitation.objects.get()
    client = client_on(commune, referent)
    assert invitation.email not in client.get("/commune/utilisateurs/").content.decode()
    assert client.post(f"/commune/utilisateurs/invitations/{invitation.pk}/annuler/").status_code == 404
    assert client.post(f"/commune/utilisateurs/invitations/{invitation.pk}/renvoyer/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None


def test_a_referent_s_invitation_dies_with_their_role(commune, referent, client_on):
    client = client_on(commune, referent)
    client.post("/commune/utilisateurs/inviter/", {"email": "elu@gignac.test", "commune_role": "referent"})
    path = urlsplit(invitation_link()).path
    CommuneMembership.objects.filter(user=referent).update(role="agent")
    response = Client(HTTP_HOST=commune.host).get(path)
    assert response.status_code == 410 and "plus le droit" in response.content.decode()


def test_referent_refuses_duplicates(commune, referent, commune_agent, client_on):
    client = client_on(commune, referent)
    response = client.post("/commune/utilisateurs/inviter/", {"email": commune_agent.email, "commune_role": "agent"})
    assert response.status_code == 200 and "déjà un rôle dans la commune" in response.content.decode()
    client.post("/commune/utilisateurs/inviter/", {"email": "elu@gignac.test", "commune_role": "agent"})
    again = client.post("/commune/utilisateurs/inviter/", {"email": "ELU@gignac.test", "commune_role": "agent"})
    assert again.status_code == 200 and "déjà en attente" in again.content.decode()
    assert Invitation.objects.count() == 1


# -- The console's "Utilisateurs et rôles" ---------------------------------------------------------------------------


def test_people_list_filters_and_prefetches(commune, other_commune, community_admin, client_on, monkeypatch):
    monkeypatch.setattr(console, "PAGE_SIZE", 20)

    def populate(start: int, count: int) -> None:
        for n in range(start, start + count):
            user = make_user(f"personne{n}@cc.test", last_name=f"Personne {n:02d}")
            CommuneMembership.objects.create(user=user, commune=commune if n % 2 else other_commune, role="agent")
            ServiceMembership.objects.create(user=user, service="informatique", role="agent")

    client = client_on(None, community_admin)
    populate(0, 3)
    client.get("/utilisateurs/")  # warm: what a first request reads once
    with CaptureQueriesContext(connection) as few:
        assert client.get("/utilisateurs/").status_code == 200
    populate(3, 30)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/utilisateurs/")
    assert len(many) == len(few)  # no query per row
    body = page.content.decode()
    assert "Personne 00" in body and "Gignac : Agent de la commune" in body and "Informatique" in body

    by_commune = client.get("/utilisateurs/", {"commune": commune.pk}).content.decode()
    assert "Personne 01" in by_commune and "Personne 02" not in by_commune
    by_text = client.get("/utilisateurs/", {"q": "personne 07"}).content.decode()
    assert "Personne 07" in by_text and "Personne 08" not in by_text
    by_service = client.get("/utilisateurs/", {"service": "urbanisme"}).content.decode()
    assert "Personne 01" not in by_service and "Aucune personne trouvée" in by_service

    partial = client.get("/utilisateurs/", {"q": "personne"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert "<table>" in partial.content.decode() and "hx-swap-oob" in partial.content.decode()
    assert "HX-Request" in partial["Vary"]
    second = client.get("/utilisateurs/", {"q": "personne", "page": 2}).content.decode()
    assert "Page 2 sur 2" in second


def test_person_page_assigns_changes_and_removes_roles(commune, commune_agent, community_admin, client_on):
    client = client_on(None, community_admin)
    url = f"/utilisateurs/{commune_agent.pk}/"
    assert "Julie Agent" in client.get(url).content.decode()
    assert client.post(f"{url}communes/", {"commune": commune.pk, "role": "referent"}).status_code == 302
    assert client.post(f"{url}services/", {"service": "juridique", "role": "responsable"}).status_code == 302
    assert CommuneMembership.objects.get(user=commune_agent).role == "referent"
    assert ServiceMembership.objects.get(user=commune_agent).role == "responsable"
    changed = AuditEntry.objects.get(action="role.modifie", target=commune_agent.email)
    assert changed.actor == community_admin and changed.before == {"role": "agent"}
    assert client.post(f"{url}services/juridique/retirer/").status_code == 302
    assert client.post(f"{url}communes/{commune.pk}/retirer/").status_code == 302
    assert not CommuneMembership.objects.filter(user=commune_agent).exists()
    assert not ServiceMembership.objects.filter(user=commune_agent).exists()
    actions = list(
        AuditEntry.objects.filter(target=commune_agent.email, actor=community_admin)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["role.modifie", "role.attribue", "role.retire", "role.retire"]  # once each, no double


def test_deactivation_stops_an_open_session(commune, commune_agent, community_admin, client_on):
    agent = client_on(commune, commune_agent)
    assert agent.get("/").status_code == 200
    admin = client_on(None, community_admin)
    assert admin.post(f"/utilisateurs/{commune_agent.pk}/activation/", {"valeur": "0"}).status_code == 302
    commune_agent.refresh_from_db()
    assert not commune_agent.is_active
    response = agent.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")
    assert not any(s.get_decoded().get("_auth_user_id") == str(commune_agent.pk) for s in Session.objects.all())
    entry = AuditEntry.objects.get(action="compte.desactive")
    assert entry.actor == community_admin and entry.target == commune_agent.email
    login = Client(HTTP_HOST=commune.host).post("/connexion/", {"username": commune_agent.email, "password": PASSWORD})
    assert login.status_code == 200  # refused
    # reactivated: a new sign-in works, the old session does not come back
    assert admin.post(f"/utilisateurs/{commune_agent.pk}/activation/", {"valeur": "1"}).status_code == 302
    assert agent.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="compte.reactive", actor=community_admin).exists()
    fresh = Client(HTTP_HOST=commune.host)
    assert fresh.post("/connexion/", {"username": commune_agent.email, "password": PASSWORD}).status_code == 302


def test_admin_cannot_demote_or_deactivate_themselves(community_admin, client_on):
    client = client_on(None, community_admin)
    url = f"/utilisateurs/{community_admin.pk}/"
    page = client.get(url).content.decode()
    assert "Vous ne pouvez pas retirer vos propres droits" in page
    demoted = client.post(f"{url}administrateur/", {"valeur": "0"}, follow=True)
    assert "Vous ne pouvez pas retirer vos propres droits" in demoted.content.decode()
    client.post(f"{url}activation/", {"valeur": "0"})
    community_admin.refresh_from_db()
    assert community_admin.is_staff and community_admin.is_active
    assert not AuditEntry.objects.filter(action__in=["role.administrateur", "compte.desactive"]).exists()
    assert client.get("/utilisateurs/").status_code == 200


def test_admin_promotes_and_demotes_someone_else(community_admin, client_on):
    other = make_user("autre-admin@cc.test")
    client = client_on(None, community_admin)
    client.post(f"/utilisateurs/{other.pk}/administrateur/", {"valeur": "1"})
    other.refresh_from_db()
    assert other.is_staff
    client.post(f"/utilisateurs/{other.pk}/administrateur/", {"valeur": "0"})
    other.refresh_from_db()
    assert not other.is_staff and not other.is_superuser
    entries = AuditEntry.objects.filter(action="role.administrateur", target=other.email).order_by("id")
    assert [(e.actor, e.after) for e in entries] == [
        (community_admin, {"administrateur": True}),
        (community_admin, {"administrateur": False}),
    ]


HUGE = "x" * 100_000


@pytest.mark.parametrize(
    "data",
    [
        {"email": "pas-une-adresse", "commune_role": "agent"},
        {"email": HUGE + "@gignac.test", "service": "informatique", "service_role": "agent"},
        {"email": "a@b.test", "first_name": HUGE, "last_name": HUGE, "is_admin": "on"},
        {"email": "a@b.test", "commune": "abc", "commune_role": "agent"},
        {"email": "a@b.test", "commune": "99999999999999999999999", "commune_role": "agent"},
        {"email": "a@b.test", "commune_role": "maire"},
        {"email": "a@b.test", "service": "inexistant", "service_role": "agent"},
        {"email": "a@b.test", "service": "informatique", "service_role": "chef"},
        {"email": "a@b.test"},  # no role at all
        {"email": "a@b.test", "commune_role": "agent"},  # a role without its commune
        {"email": ["a@b.test", "pas-une-adresse"], "is_admin": "on"},
        {"email": "a@b.test", "first_name": "\x00", "is_admin": "on"},
    ],
)
def test_bad_invitations_are_refused_in_french(community_admin, client_on, data):
    response = invite(client_on(None, community_admin), **data)
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode() or 'class="form-errors"' in response.content.decode()
    assert not Invitation.objects.exists() and len(mail.outbox) == 0


def test_no_error_page_on_bad_input(commune, commune_agent, community_admin, referent, client_on):
    admin = client_on(None, community_admin)
    pk = commune_agent.pk
    attempts = [
        (admin, "get", "/utilisateurs/", {"q": HUGE, "commune": "abc", "service": "?", "etat": "z", "page": "zz"}),
        (admin, "get", "/utilisateurs/", {"commune": "99999999999999999999999", "page": "-1"}),
        (admin, "post", f"/utilisateurs/{pk}/communes/", {"commune": "abc", "role": "maire"}),
        (admin, "post", f"/utilisateurs/{pk}/communes/", {"commune": HUGE, "role": HUGE}),
        (admin, "post", f"/utilisateurs/{pk}/services/", {"service": HUGE, "role": "agent"}),
        (admin, "post", f"/utilisateurs/{pk}/services/inexistant/retirer/", {}),
        (admin, "post", f"/utilisateurs/{pk}/administrateur/", {"valeur": HUGE}),
        (admin, "post", f"/utilisateurs/{pk}/activation/", {"valeur": "peut-etre"}),
        (admin, "post", "/utilisateurs/99999999999999999999999/activation/", {"valeur": "0"}),
        (admin, "post", "/utilisateurs/invitations/99999999999999999999999/annuler/", {}),
        (client_on(commune, referent), "post", f"/commune/utilisateurs/{pk}/role/", {"role": HUGE}),
        (
            client_on(commune, referent),
            "post",
            "/commune/utilisateurs/inviter/",
            {"email": HUGE, "commune_role": HUGE, "first_name": HUGE},
        ),
        (client_on(commune, commune_agent), "post", "/compte/", {"first_name": HUGE, "last_name": "\x00"}),
        (client_on(commune, commune_agent), "post", "/compte/notifications/", {"service_informatique": HUGE}),
        (
            client_on(commune, commune_agent),
            "post",
            "/compte/mot-de-passe/",
            {"old_password": HUGE, "new_password1": HUGE, "new_password2": ""},
        ),
    ]
    before = (CommuneMembership.objects.get(user=commune_agent).role, User.objects.get(pk=pk).is_active)
    for client, method, path, data in attempts:
        response = getattr(client, method)(path, data)
        assert 200 <= response.status_code < 500, (path, response.status_code)
    assert (CommuneMembership.objects.get(user=commune_agent).role, User.objects.get(pk=pk).is_active) == before
    assert not Invitation.objects.exists()


# -- The profile -------------------------------------------------------------------------------------------------------


def test_profile_lists_the_person_s_spaces_with_switch_links(commune, other_commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    client.get("/compte/")  # warm: what a first request reads once
    with CaptureQueriesContext(connection) as one:
        page = client.get("/compte/")
    body = page.content.decode()
    assert page.status_code == 200 and "agent@<wbr>gignac<wbr>.test" in body
    assert "espace actuel" in body and "http://gignac.localhost:8000/" not in body
    CommuneMembership.objects.create(user=commune_agent, commune=other_commune, role="lecteur")
    with CaptureQueriesContext(connection) as two:
        body = client.get("/compte/").content.decode()
    assert 'href="http://saint-andre-de-sangonis.localhost:8000/"' in body
    assert "Lecteur (élu, lecture seule)" in body
    assert len(two) == len(one)  # no query per commune
    assert 'href="/compte/jetons/"' in body and 'href="/compte/mot-de-passe/"' in body
    assert "Console de la communauté</a>" not in body  # no right there


def test_profile_on_the_console_for_a_service_agent(commune, client_on):
    agent = make_user("agent-info@cc.test")
    ServiceMembership.objects.create(user=agent, service="informatique", role="agent")
    CommuneMembership.objects.create(user=agent, commune=commune, role="agent")
    body = client_on(None, agent).get("/compte/").content.decode()
    assert "Informatique — Agent du service" in body
    assert 'href="http://gignac.localhost:8000/"' in body


def test_profile_name_and_password(commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    assert client.post("/compte/", {"first_name": "Juliette", "last_name": "Agent"}).status_code == 302
    commune_agent.refresh_from_db()
    assert commune_agent.first_name == "Juliette"
    assert AuditEntry.objects.filter(action="compte.modifie", actor=commune_agent).exists()
    page = client.get("/compte/mot-de-passe/").content.decode()
    assert "Mot de passe actuel" in page and "Nouveau mot de passe" in page
    wrong = client.post(
        "/compte/mot-de-passe/",
        {"old_password": "faux", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "ancien mot de passe" in wrong.content.decode().lower()
    done = client.post(
        "/compte/mot-de-passe/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/compte/"
    commune_agent.refresh_from_db()
    assert commune_agent.check_password(NEW_PASSWORD)
    assert client.get("/").status_code == 200  # still signed in, on this host
    assert AuditEntry.objects.filter(action="mot_de_passe.modifie", actor=commune_agent).exists()


def test_a_lecteur_edits_their_own_profile(commune, client_on):
    lecteur = make_user("elu@gignac.test")
    CommuneMembership.objects.create(user=lecteur, commune=commune, role="lecteur")
    client = client_on(commune, lecteur)
    assert client.post("/compte/", {"first_name": "Élu", "last_name": "Municipal"}).status_code == 302
    assert client.post("/compte/notifications/", {"plateforme": "on"}).status_code == 302


def test_notification_preferences_are_saved(commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    page = client.get("/compte/").content.decode()
    assert 'name="service_informatique"' in page and 'name="plateforme"' in page
    assert "<legend>Recevoir par e-mail les messages de :</legend>" in page
    assert wants_email(commune_agent, "informatique")  # on by default
    response = client.post("/compte/notifications/", {"plateforme": "on", "service_urbanisme": "on"})
    assert response.status_code == 302
    assert not wants_email(commune_agent, "informatique")
    assert wants_email(commune_agent, "urbanisme") and wants_email(commune_agent)
    assert NotificationPreference.objects.filter(user=commune_agent, service="", email=True).exists()
    other = make_user("autre@gignac.test")
    assert email_recipients([commune_agent, other], "informatique") == [other]
    body = client.get("/compte/").content.decode()
    assert re.search(r'name="service_informatique"(?![^>]*checked)', body)
    assert re.search(r'name="service_urbanisme"[^>]*checked', body)
    assert client.get("/compte/notifications/").status_code == 302
