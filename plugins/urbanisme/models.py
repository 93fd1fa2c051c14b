"""The procedures on the commune's planning document (typology of the State's Docurba)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanningProcedure(models.Model):
    class Document(models.TextChoices):
        PLU = "plu", _("PLU")
        PLUI = "plui", _("PLUi")
        CARTE_COMMUNALE = "carte_communale", _("Carte communale")

    class Type(models.TextChoices):
        ELABORATION = "elaboration", _("Élaboration")
        REVISION = "revision", _("Révision")
        REVISION_ALLEGEE = "revision_allegee", _("Révision allégée")
        MODIFICATION = "modification", _("Modification")
        MODIFICATION_SIMPLIFIEE = "modification_simplifiee", _("Modification simplifiée")
        MISE_EN_COMPATIBILITE = "mise_en_compatibilite", _("Mise en compatibilité")

    class Status(models.TextChoices):
        IN_PROGRESS = "en_cours", _("En cours")
        STOPPED = "arretee", _("Projet arrêté")
        INQUIRY = "enquete", _("Enquête publique")
        APPROVED = "approuvee", _("Approuvée")
        ABANDONED = "abandonnee", _("Abandonnée")

    document = models.CharField(_("document"), max_length=20, choices=Document.choices)
    procedure_type = models.CharField(_("procédure"), max_length=30, choices=Type.choices)
    number = models.CharField(_("numéro"), max_length=100, blank=True, help_text=_("Par exemple « modification n°2 »."))
    launched_on = models.DateField(_("lancée le"), help_text=_("Date de la délibération ou de l'arrêté de lancement."))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("procédure d'urbanisme")
        verbose_name_plural = _("procédures d'urbanisme")
        ordering = ["-launched_on"]

    def __str__(self) -> str:
        return f"{self.get_document_display()} – {self.number or self.get_procedure_type_display()}"
