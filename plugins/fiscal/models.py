"""The commune's fiscal records: its REI figures per year and tax, its cadastral locals, the permits to cross-check,
the anomaly rules' settings, and the signalements submitted to the CCID with their outcome.

Every table lives in the commune's schema. Cadastral locals hold owners' personal data under fiscal secrecy: only the
views guarded by :func:`plugins.fiscal.access.can_see_cadastre` show them.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FiscalBase(models.Model):
    """One tax of the commune for one year, as the REI gives it (commune share only)."""

    class Tax(models.TextChoices):
        TFPB = "tfpb", _("TFPB – foncier bâti")
        TFPNB = "tfpnb", _("TFPNB – foncier non bâti")
        THRS = "thrs", _("THRS – résidences secondaires")
        TEOM = "teom", _("TEOM – ordures ménagères")

    class Source(models.TextChoices):
        MANUAL = "saisie", _("Saisie")
        REI = "rei", _("REI (DGFiP)")
        OFGL = "ofgl", _("REI (OFGL, format long)")
        DEMO = "demo", _("Démonstration")

    year = models.PositiveSmallIntegerField(_("année"))
    tax = models.CharField(_("taxe"), max_length=10, choices=Tax.choices)
    base = models.DecimalField(_("base nette"), max_digits=14, decimal_places=0, null=True, blank=True)
    rate = models.DecimalField(_("taux net (%)"), max_digits=6, decimal_places=3, null=True, blank=True)
    voted_rate = models.DecimalField(_("taux voté (%)"), max_digits=6, decimal_places=3, null=True, blank=True)
    product = models.DecimalField(_("produit"), max_digits=14, decimal_places=0, null=True, blank=True)
    articles = models.PositiveIntegerField(_("nombre d'articles"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("base fiscale")
        verbose_name_plural = _("bases fiscales")
        ordering = ["-year", "tax"]
        constraints = [models.UniqueConstraint(fields=["year", "tax"], name="fiscal_base_unique_year_tax")]

    def __str__(self) -> str:
        return f"{self.get_tax_display()} {self.year}"


class Local(models.Model):
    """A cadastral local of the commune (MAJIC / fichiers fonciers extract). Personal data: owner's name, address.

    The table is replaced as a whole by each import (a cadastral extract is a snapshot), with PostgreSQL COPY.
    """

    local_id = models.CharField(_("identifiant du local"), max_length=20, primary_key=True)
    parcel = models.CharField(_("parcelle"), max_length=14)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    affectation = models.CharField(_("affectation"), max_length=2, help_text=_("H : habitation, P : professionnel…"))
    category = models.PositiveSmallIntegerField(_("catégorie"), null=True, blank=True)
    surface = models.PositiveIntegerField(_("surface (m²)"), null=True, blank=True)
    year_built = models.PositiveSmallIntegerField(_("année de construction"), null=True, blank=True)
    year_renovated = models.PositiveSmallIntegerField(_("année de rénovation"), null=True, blank=True)
    rental_value = models.DecimalField(_("valeur locative (€)"), max_digits=12, decimal_places=2, default=Decimal(0))
    vacant = models.BooleanField(_("vacant"), default=False)
    vacant_since = models.PositiveSmallIntegerField(_("vacant depuis (année)"), null=True, blank=True)
    exoneration = models.CharField(_("exonération"), max_length=10, blank=True)
    exoneration_start = models.PositiveSmallIntegerField(_("début d'exonération (année)"), null=True, blank=True)
    exoneration_end = models.PositiveSmallIntegerField(_("retour à l'imposition (année)"), null=True, blank=True)
    owner_name = models.CharField(_("propriétaire"), max_length=200, blank=True)
    owner_address = models.CharField(_("adresse du propriétaire"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("local")
        verbose_name_plural = _("locaux")
        ordering = ["local_id"]
        # varchar_pattern_ops: the search by the start of a parcel (LIKE 'x%') uses it under the database's C.UTF-8
        # collation, as do the anomaly rules' lookups by parcel
        indexes = [models.Index(fields=["parcel"], name="fiscal_local_parcel", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.local_id


class Permit(models.Model):
    """A building permit and its DAACT (declared completion), entered or imported to find untaxed new buildings."""

    reference = models.CharField(_("numéro du permis"), max_length=30, unique=True)
    parcel = models.CharField(_("parcelle"), max_length=14)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    description = models.CharField(_("objet"), max_length=200, blank=True)
    granted_on = models.DateField(_("accordé le"), null=True, blank=True)
    completed_on = models.DateField(_("DAACT le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("permis de construire")
        verbose_name_plural = _("permis de construire")
        ordering = ["-completed_on", "reference"]

    def __str__(self) -> str:
        return self.reference


class RuleSetting(models.Model):
    """The commune's choice for one anomaly rule: on or off, and its threshold (defaults in ``rules.RULES``)."""

    code = models.CharField(_("règle"), max_length=40, unique=True)
    enabled = models.BooleanField(pgettext_lazy("état", "active"), default=True)  # Django's catalogue: « actif »
    threshold = models.PositiveSmallIntegerField(_("seuil"))

    class Meta:
        verbose_name = _("réglage de règle")
        verbose_name_plural = _("réglages des règles")

    def __str__(self) -> str:
        return self.code


class Signalement(models.Model):
    """A local suspected by a rule, for the CCID's session, and what became of it.

    The local's figures are copied at detection: the cadastral table is replaced at each import, and the list
    submitted to the CCID must stay as it was sent.
    """

    class Status(models.TextChoices):
        PROPOSED = "propose", _("À examiner")
        SUBMITTED = "transmis", _("Transmis à la CCID")
        ACCEPTED = "accepte", _("Accepté")
        REJECTED = "rejete", _("Rejeté")

    rule = models.CharField(_("règle"), max_length=40)
    local_id = models.CharField(_("identifiant du local"), max_length=20, blank=True)
    permit_reference = models.CharField(_("permis"), max_length=30, blank=True)
    parcel = models.CharField(_("parcelle"), max_length=14)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    category = models.PositiveSmallIntegerField(_("catégorie actuelle"), null=True, blank=True)
    rental_value = models.DecimalField(_("VL actuelle (€)"), max_digits=12, decimal_places=2, null=True, blank=True)
    reason = models.TextField(_("motif"))
    action = models.TextField(_("action proposée"))
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    new_rental_value = models.DecimalField(_("nouvelle VL (€)"), max_digits=12, decimal_places=2, null=True, blank=True)
    base_gain = models.DecimalField(_("base gagnée (€)"), max_digits=12, decimal_places=2, null=True, blank=True)
    product_gain = models.DecimalField(_("produit gagné (€)"), max_digits=12, decimal_places=2, null=True, blank=True)
    decided_on = models.DateField(_("décidé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("détecté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("signalement")
        verbose_name_plural = _("signalements")
        ordering = ["status", "rule", "local_id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "local_id", "permit_reference"], name="fiscal_one_signalement")
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.local_id or self.permit_reference}"
