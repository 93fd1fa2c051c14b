"""The legal consultations a commune asks the service for."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Consultation(models.Model):
    class Domain(models.TextChoices):
        URBANISME = "urbanisme", _("Urbanisme")
        RH = "rh", _("RH / statut")
        MARCHES = "marches", _("Marchés publics")
        DOMAINE = "domaine", _("Domaine public / privé")
        POLICE = "police", _("Police du maire")
        ETAT_CIVIL = "etat_civil", _("État civil / funéraire")
        FINANCES = "finances", _("Finances")
        INSTITUTIONS = "institutions", _("Institutions / élus")
        RESPONSABILITE = "responsabilite", _("Responsabilité")
        CONTRATS = "contrats", _("Contrats / associations")

    class Status(models.TextChoices):
        RECEIVED = "recue", _("Reçue")
        ANALYSIS = "analyse", _("En analyse")
        WAITING = "attente_pieces", _("En attente de pièces")
        ANSWERED = "repondue", _("Répondue")
        CLOSED = "close", pgettext_lazy("statut", "Close")  # with a context: Django's catalogue says « Fermer »

    subject = models.CharField(_("objet"), max_length=200)
    domain = models.CharField(_("domaine"), max_length=20, choices=Domain.choices)
    requester = models.CharField(
        _("demandeur"), max_length=100, blank=True, help_text=_("Maire, adjoint, secrétaire de mairie…")
    )
    received_on = models.DateField(_("reçue le"))
    due_on = models.DateField(_("réponse attendue le"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-received_on", "subject"]

    def __str__(self) -> str:
        return self.subject
