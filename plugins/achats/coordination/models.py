"""The groupements the intercommunality coordinates (public schema), and the summary of each commune's answer.

A commune's answer itself (deliberation, document, needs) lives in its own schema (``plugins.achats.models``); the
rows of :class:`Member` and :class:`NeedSummary` repeat what the coordinator needs, written in the same transaction
as the answer, so that the aggregate of a groupement is read here, never from every schema.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

PURCHASES = (
    ("fournitures_bureau", _("Fournitures de bureau et papier")),
    ("entretien", _("Produits d'entretien")),
    ("energie", _("Énergie")),
    ("assurances", _("Assurances")),
    ("verifications", _("Vérifications périodiques et contrôles réglementaires")),
    ("extincteurs", _("Extincteurs")),
    ("telephonie", _("Téléphonie")),
    ("copieurs", _("Copieurs")),
    ("epi", _("Équipements de protection individuelle")),
    ("autre", _("Autre")),
)


class Groupement(models.Model):
    class Kind(models.TextChoices):
        PONCTUEL = "ponctuel", _("Ponctuel")
        PERMANENT = "permanent", _("Permanent")

    class Nature(models.TextChoices):
        FOURNITURES = "fournitures", _("Fournitures")
        SERVICES = "services", _("Services")
        TRAVAUX = "travaux", _("Travaux")

    class Status(models.TextChoices):
        PROJET = "projet", _("Projet")
        CONVENTION = "convention", _("Convention en délibération")
        RECENSEMENT = "recensement", _("Recensement ouvert")
        RECENSEMENT_CLOS = "recensement_clos", _("Recensement clos")
        CONSULTATION = "consultation", _("Consultation")
        ATTRIBUE = "attribue", _("Attribué")
        EXECUTION = "execution", _("En exécution")
        CLOS = "clos", _("Clos")

    class CostKey(models.TextChoices):
        POPULATION = "population", _("Au prorata de la population")
        EQUAL = "parts_egales", _("À parts égales")
        QUANTITIES = "quantites", _("Au prorata des montants commandés")
        COMMUNITY = "communaute", _("Pris en charge par la communauté")

    title = models.CharField(_("objet"), max_length=200)
    category = models.CharField(_("famille d'achat"), max_length=32, choices=PURCHASES, default="autre")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.PONCTUEL)
    nature = models.CharField(_("nature"), max_length=12, choices=Nature.choices, default=Nature.FOURNITURES)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    convention_text = models.TextField(_("convention constitutive"), blank=True, max_length=50000)
    deadline = models.DateField(_("date limite du recensement"))
    duration_months = models.PositiveSmallIntegerField(_("durée du marché (mois)"), default=12)
    launch_date = models.DateField(
        _("date de lancement de la consultation"),
        null=True,
        blank=True,
        help_text=_("Envoi de l'avis d'appel à la concurrence : c'est à cette date que les seuils s'apprécient."),
    )
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PROJET)
    supplier = models.CharField(_("titulaire"), max_length=200, blank=True)
    supplier_siret = models.CharField(_("SIRET du titulaire"), max_length=14, blank=True)
    awarded_on = models.DateField(_("attribué le"), null=True, blank=True)
    procedure_costs = models.DecimalField(
        _("frais de procédure (€ HT)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    cost_key = models.CharField(
        _("répartition des frais"), max_length=16, choices=CostKey.choices, default=CostKey.POPULATION
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("groupement de commandes")
        verbose_name_plural = _("groupements de commandes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def threshold_nature(self) -> str:
        return "travaux" if self.nature == self.Nature.TRAVAUX else "fournitures_services"


class Article(models.Model):
    """An article (or a lot) of the groupement, with its unit, the members' previous price and the awarded price."""

    groupement = models.ForeignKey(Groupement, on_delete=models.CASCADE, related_name="articles")
    code = models.CharField(_("code"), max_length=20)
    lot = models.CharField(_("lot"), max_length=100, blank=True)
    label = models.CharField(_("désignation"), max_length=200)
    unit = models.CharField(_("unité"), max_length=30)
    previous_price = models.DecimalField(
        _("prix unitaire antérieur (€ HT)"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    awarded_price = models.DecimalField(
        _("prix unitaire attribué (€ HT)"), max_digits=12, decimal_places=4, null=True, blank=True
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["lot", "code", "id"]
        constraints = [models.UniqueConstraint(fields=["groupement", "code"], name="achats_one_code_per_groupement")]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class Member(models.Model):
    """A commune invited to a groupement, with the summary of its answer (written with the answer itself)."""

    groupement = models.ForeignKey(Groupement, on_delete=models.CASCADE, related_name="members")
    commune = models.ForeignKey("tenants.Commune", on_delete=models.CASCADE, related_name="+")
    invited_at = models.DateTimeField(_("invitée le"), auto_now_add=True)
    deliberation_date = models.DateField(_("date de la délibération"), null=True, blank=True)
    deliberation_number = models.CharField(_("numéro de la délibération"), max_length=30, blank=True)
    has_deliberation_file = models.BooleanField(_("délibération déposée"), default=False)
    no_need = models.BooleanField(_("sans besoin"), default=False)
    answered_at = models.DateTimeField(_("a répondu le"), null=True, blank=True)
    total_value = models.DecimalField(_("valeur estimée (€ HT)"), max_digits=14, decimal_places=2, default=0)
    last_reminder_on = models.DateField(_("dernière relance"), null=True, blank=True)

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        ordering = ["commune__name"]
        constraints = [models.UniqueConstraint(fields=["groupement", "commune"], name="achats_one_member_per_commune")]

    def __str__(self) -> str:
        return f"{self.groupement} — {self.commune}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


class NeedSummary(models.Model):
    """One commune's need for one article, as recorded in the commune's schema; and what it ordered since."""

    groupement = models.ForeignKey(Groupement, on_delete=models.CASCADE, related_name="need_summaries")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="need_summaries")
    commune = models.ForeignKey("tenants.Commune", on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(_("quantité estimée"), max_digits=14, decimal_places=2, default=0)
    estimated_value = models.DecimalField(_("valeur estimée (€ HT)"), max_digits=14, decimal_places=2, default=0)
    ordered_quantity = models.DecimalField(_("quantité commandée"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("besoin d'une commune (récapitulatif)")
        verbose_name_plural = _("besoins des communes (récapitulatif)")
        constraints = [models.UniqueConstraint(fields=["article", "commune"], name="achats_one_need_per_article")]
        indexes = [models.Index(fields=["groupement", "commune"])]

    def __str__(self) -> str:
        return f"{self.commune_id}/{self.article_id}: {self.quantity}"
