"""The commune's participation in the groupements de commandes coordinated by the community."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Participation(models.Model):
    class Status(models.TextChoices):
        INVITED = "invitee", _("Invitée")
        DELIBERATED = "deliberation", _("Délibération prise")
        NEEDS_ENTERED = "besoins_saisis", _("Besoins saisis")

    groupement = models.CharField(_("groupement"), max_length=200)
    subject = models.CharField(_("objet"), max_length=200)
    deliberation_date = models.DateField(_("date de la délibération"), null=True, blank=True)
    deliberation_number = models.CharField(_("numéro de la délibération"), max_length=30, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.INVITED)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("participation à un groupement")
        verbose_name_plural = _("participations à des groupements")
        ordering = ["groupement"]

    def __str__(self) -> str:
        return self.groupement
