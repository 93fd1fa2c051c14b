"""``mutualise demo``: CC Vallée de l'Hérault, 26 communes out of 28 in at least one service, a user per role."""

from __future__ import annotations

from django.core.management import call_command

from mutualise.accounts.models import CommuneMembership, ServiceMembership, User
from mutualise.management.commands.demo import DEMO_PASSWORD, demo_subscriptions
from mutualise.plugins import get_registry
from mutualise.services import enabled_services
from tenants.models import Commune


def test_demo_prepares_the_reference_customer(intercommunality, capsys):
    call_command("demo", no_serve=True)
    out = capsys.readouterr().out
    communes = list(Commune.objects.all())
    assert len(communes) == 28
    engaged = [c for c in communes if enabled_services(c)]
    assert len(engaged) == 26
    assert "26 engagées dans au moins 1 service" in out
    assert "http://gignac.localhost:8000/" in out and "http://localhost:8000/" in out
    assert DEMO_PASSWORD in out
    assert User.objects.filter(is_staff=True).exists()
    assert {m.role for m in CommuneMembership.objects.all()} == {"lecteur", "agent", "referent"}
    assert {m.role for m in ServiceMembership.objects.all()} == {"agent", "responsable"}
    for user in User.objects.all():
        assert user.check_password(DEMO_PASSWORD)
        assert user.email in out


def test_demo_twice_changes_nothing(intercommunality):
    call_command("demo", no_serve=True)
    counts = (User.objects.count(), Commune.objects.count())
    subscriptions = {c.insee_code: enabled_services(c) for c in Commune.objects.all()}
    call_command("demo", no_serve=True)
    assert (User.objects.count(), Commune.objects.count()) == counts
    assert {c.insee_code: enabled_services(c) for c in Commune.objects.all()} == subscriptions


def test_every_service_has_subscribers_in_the_demo_plan():
    communes = [Commune(insee_code=code) for code in ["34010", "34011", "34012", "34016", "34029", "34125"]]
    plan = demo_subscriptions(communes, get_registry().slugs)
    assert plan["34011"] == [] and plan["34125"] == []
    assert all(plan[c] for c in ["34010", "34012", "34016", "34029"])
