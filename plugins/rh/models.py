"""The commune's training plan (plan de formation): one row per planned training action."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrainingAction(models.Model):
    class Category(models.TextChoices):
        INTEGRATION = "integration", _("Intégration")
        PROFESSIONALISATION = "professionnalisation", _("Professionnalisation")
        PERFECTING = "perfectionnement", _("Perfectionnement")
        HEALTH_SAFETY = "hygiene_securite", _("Hygiène et sécurité")
        OTHER = "autre", _("Autre")

    class Status(models.TextChoices):
        PLANNED = "prevue", _("Prévue")
        DONE = "realisee", _("Réalisée")
        CANCELLED = "annulee", _("Annulée")

    title = models.CharField(_("intitulé"), max_length=200)
    agent_name = models.CharField(_("agent"), max_length=100)
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)
    mandatory = models.BooleanField(
        _("obligatoire"),
        default=False,
        help_text=_("Formation statutaire obligatoire ou prévention imposée."),
    )
    provider = models.CharField(_("organisme"), max_length=100, blank=True, help_text=_("CNFPT, CDG 34…"))
    planned_on = models.DateField(_("prévue le"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("action de formation")
        verbose_name_plural = _("actions de formation")
        ordering = ["planned_on", "agent_name"]

    def __str__(self) -> str:
        return f"{self.title} ({self.agent_name})"
