"""The procurement procedures the service helps a commune run."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Procedure(models.Model):
    class Nature(models.TextChoices):
        SUPPLIES = "fournitures", _("Fournitures")
        SERVICES = "services", _("Services")
        WORKS = "travaux", _("Travaux")

    class Type(models.TextChoices):
        DIRECT = "gre_a_gre", _("Gré à gré (sans publicité ni mise en concurrence)")
        MAPA = "mapa", _("Procédure adaptée (MAPA)")
        TENDER = "appel_offres", _("Appel d'offres")

    class Status(models.TextChoices):
        PREPARATION = "preparation", _("En préparation")
        PUBLISHED = "publiee", _("Publiée")
        ANALYSIS = "analyse", _("Analyse des offres")
        AWARDED = "attribuee", _("Attribuée")
        NOTIFIED = "notifiee", _("Notifiée")
        UNSUCCESSFUL = "infructueuse", _("Infructueuse")

    subject = models.CharField(_("objet"), max_length=200)
    nature = models.CharField(_("nature"), max_length=20, choices=Nature.choices)
    procedure_type = models.CharField(_("procédure"), max_length=20, choices=Type.choices)
    estimated_amount = models.DecimalField(_("montant estimé HT"), max_digits=12, decimal_places=2)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PREPARATION)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("procédure de marché")
        verbose_name_plural = _("procédures de marché")
        ordering = ["-created_at", "subject"]

    def __str__(self) -> str:
        return self.subject
