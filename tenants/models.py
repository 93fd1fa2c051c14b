"""Public-schema records: the intercommunality, its communes (the tenants), their domains and subscriptions."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_tenants.models import DomainMixin, TenantMixin

from tenants.validators import validate_insee_code, validate_siren


def schema_name_for(insee_code: str) -> str:
    """The PostgreSQL schema of a commune, derived from its INSEE code only (``34114`` → ``commune_34114``)."""
    validate_insee_code(insee_code)
    return f"commune_{insee_code.lower()}"


def slug_for(name: str) -> str:
    """The ASCII, hyphenated host label of a commune name (``Saint-André-de-Sangonis`` → ``saint-andre-de-sangonis``)."""
    for letters, ascii_letters in (
        ("'", "-"),
        ("’", "-"),
        ("Œ", "Oe"),
        ("œ", "oe"),
        ("Æ", "Ae"),
        ("æ", "ae"),
    ):
        name = name.replace(letters, ascii_letters)
    return slugify(name)


class Intercommunality(models.Model):
    """The EPCI that runs the instance; it works in the public schema, on the base domain. One row."""

    name = models.CharField(_("nom"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, unique=True, validators=[validate_siren])
    nature = models.CharField(_("nature juridique"), max_length=10, blank=True)
    tax_regime = models.CharField(_("régime fiscal"), max_length=10, blank=True)
    base_domain = models.CharField(_("domaine de base"), max_length=253)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("intercommunalité")
        verbose_name_plural = _("intercommunalités")

    def __str__(self) -> str:
        return self.name


class Commune(TenantMixin):
    """A member commune: a tenant with its own schema, named from its INSEE code."""

    name = models.CharField(_("nom"), max_length=200)
    insee_code = models.CharField(_("code INSEE"), max_length=5, unique=True, validators=[validate_insee_code])
    siren = models.CharField(_("SIREN"), max_length=9, unique=True, validators=[validate_siren])
    slug = models.SlugField(_("identifiant d'adresse"), max_length=63, unique=True)
    postal_codes = ArrayField(models.CharField(max_length=5), verbose_name=_("codes postaux"), default=list, blank=True)
    departement = models.CharField(_("département"), max_length=3)
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    population_year = models.PositiveSmallIntegerField(_("millésime de la population"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    # Schemas are created by tenants.provisioning, never as a side effect of save() or delete().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.schema_name = schema_name_for(self.insee_code)
        super().save(*args, **kwargs)

    @property
    def host(self) -> str:
        """The host name of the commune's space, without port."""
        return f"{self.slug}.{settings.MUTUALISE_BASE_DOMAIN.split(':')[0]}"

    @property
    def url(self) -> str:
        """The address of the commune's space."""
        return f"{settings.MUTUALISE_URL_SCHEME}://{self.slug}.{settings.MUTUALISE_BASE_DOMAIN}/"


class Domain(DomainMixin):
    """A host name that leads to a commune's space (stored lower-case, without port)."""

    class Meta:
        verbose_name = _("domaine")
        verbose_name_plural = _("domaines")

    def save(self, *args, **kwargs) -> None:
        self.domain = self.domain.lower()
        super().save(*args, **kwargs)


class SubscriptionQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date | None = None) -> SubscriptionQuerySet:
        """Subscriptions that are active and whose dates cover ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(active=True, start_date__lte=on).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))

    def during(self, start: datetime.date, end: datetime.date) -> SubscriptionQuerySet:
        """Subscriptions, past or present, that overlap the period from ``start`` to ``end``."""
        return self.filter(start_date__lte=end).filter(Q(end_date__isnull=True) | Q(end_date__gte=start))


class Subscription(models.Model):
    """A period during which a commune subscribes to a service. Rows are never deleted: they are the history."""

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("commune")
    )
    service = models.CharField(_("service"), max_length=32, db_index=True)
    active = models.BooleanField(pgettext_lazy("état", "active"), default=True)  # Django's catalogue: « actif »
    start_date = models.DateField(_("date de début"))
    end_date = models.DateField(_("date de fin"), null=True, blank=True)
    convention_reference = models.CharField(_("référence de la convention"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("souscription")
        verbose_name_plural = _("souscriptions")
        ordering = ["commune__name", "service", "-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "service"],
                condition=Q(active=True),
                name="one_active_subscription_per_service",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="subscription_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        from mutualise.plugins import get_registry

        service = get_registry().get(self.service).label if self.service in get_registry() else self.service
        return f"{self.commune} — {service}"


class DirectoryVersion(models.Model):
    """A single row whose number moves with every change to communes, domains or the intercommunality.

    Processes compare it with the version of the directory they hold in memory (see ``tenants.resolution``).
    """

    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("version de l'annuaire des communes")

    def __str__(self) -> str:
        return str(self.version)


class SubscriptionRequest(models.Model):
    """A commune asking the intercommunality for a service; an administrator accepts or declines it."""

    class Status(models.TextChoices):
        PENDING = "en_attente", _("En attente")
        ACCEPTED = "acceptee", _("Acceptée")
        DECLINED = "refusee", _("Refusée")

    commune = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="subscription_requests", verbose_name=_("commune")
    )
    service = models.CharField(_("service"), max_length=32)
    message = models.TextField(_("message"), blank=True, max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("demandée par")
    )
    requested_at = models.DateTimeField(_("demandée le"), auto_now_add=True)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("décidée par"),
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decision_note = models.TextField(_("réponse"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("demande de souscription")
        verbose_name_plural = _("demandes de souscription")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "service"], condition=Q(status="en_attente"), name="one_pending_request_per_service"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune} — {self.service} ({self.get_status_display()})"
