"""The commune's own records of the groupements it takes part in, in the commune's schema.

The groupement and its articles belong to the intercommunality (public schema, ``plugins.achats.coordination``);
they are referred to here by id, never by a foreign key across schemas.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Answer(models.Model):
    """The commune's answer to a groupement: its council's deliberation and whether it has needs."""

    groupement_id = models.BigIntegerField(_("groupement"), unique=True)
    deliberation_date = models.DateField(_("date de la délibération"), null=True, blank=True)
    deliberation_number = models.CharField(_("numéro de la délibération"), max_length=30, blank=True)
    deliberation_file = models.FileField(_("délibération (document)"), upload_to="achats/deliberations/%Y/", blank=True)
    no_need = models.BooleanField(_("la commune n'a pas de besoin"), default=False)
    answered_at = models.DateTimeField(_("a répondu le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("réponse à un groupement")
        verbose_name_plural = _("réponses aux groupements")

    def __str__(self) -> str:
        return f"groupement {self.groupement_id}"


class Need(models.Model):
    """The commune's need for one article of the groupement."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="needs")
    article_id = models.BigIntegerField(_("article"))
    quantity = models.DecimalField(_("quantité estimée"), max_digits=14, decimal_places=2, default=0)
    estimated_value = models.DecimalField(_("valeur estimée (€ HT)"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("besoin")
        verbose_name_plural = _("besoins")
        constraints = [models.UniqueConstraint(fields=["answer", "article_id"], name="achats_one_need_per_answer")]

    def __str__(self) -> str:
        return f"article {self.article_id}: {self.quantity}"


class Order(models.Model):
    """An order (bon de commande) or a consumption the commune records against an awarded article."""

    groupement_id = models.BigIntegerField(_("groupement"), db_index=True)
    article_id = models.BigIntegerField(_("article"))
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantité"), max_digits=14, decimal_places=2)
    reference = models.CharField(_("référence"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("saisie le"), auto_now_add=True)

    class Meta:
        verbose_name = _("commande")
        verbose_name_plural = _("commandes")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} article {self.article_id} × {self.quantity}"
