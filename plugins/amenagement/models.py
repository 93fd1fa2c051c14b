"""The building and infrastructure operations of the commune (maître d'ouvrage) that the service follows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Operation(models.Model):
    class Kind(models.TextChoices):
        BUILDING = "batiment", _("Bâtiment")
        ROAD = "voirie", _("Voirie")
        NETWORKS = "reseaux", _("Réseaux")
        PUBLIC_SPACE = "espace_public", _("Espace public")

    class Phase(models.TextChoices):
        ESQ = "esq", _("ESQ – Esquisse")
        APS = "aps", _("APS – Avant-projet sommaire")
        APD = "apd", _("APD – Avant-projet définitif")
        PRO = "pro", _("PRO – Projet")
        DCE = "dce", _("DCE – Dossier de consultation des entreprises")
        ACT = "act", _("ACT – Assistance à la passation des contrats de travaux")
        EXE = "exe", _("EXE – Études d'exécution et travaux")
        AOR = "aor", _("AOR – Assistance aux opérations de réception")

    class Status(models.TextChoices):
        PROGRAMMING = "programmation", _("En programmation")
        IN_PROGRESS = "en_cours", _("En cours")
        SUSPENDED = "suspendue", _("Suspendue")
        HANDED_OVER = "receptionnee", _("Réceptionnée")
        CLOSED = "soldee", _("Soldée")

    name = models.CharField(_("opération"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, default=Phase.ESQ)
    envelope = models.DecimalField(_("enveloppe prévisionnelle TTC"), max_digits=12, decimal_places=2)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PROGRAMMING)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("opération d'aménagement")
        verbose_name_plural = _("opérations d'aménagement")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
