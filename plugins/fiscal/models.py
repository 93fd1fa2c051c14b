"""The commune's local tax figures per year and tax, as in the DGFiP's REI."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FiscalBase(models.Model):
    class Tax(models.TextChoices):
        TFPB = "tfpb", _("TFPB – foncier bâti")
        TFPNB = "tfpnb", _("TFPNB – foncier non bâti")
        THRS = "thrs", _("THRS – résidences secondaires")
        TEOM = "teom", _("TEOM – ordures ménagères")

    year = models.PositiveSmallIntegerField(_("année"))
    tax = models.CharField(_("taxe"), max_length=10, choices=Tax.choices)
    base = models.DecimalField(_("base nette"), max_digits=14, decimal_places=0)
    rate = models.DecimalField(_("taux voté (%)"), max_digits=5, decimal_places=2)
    product = models.DecimalField(_("produit"), max_digits=14, decimal_places=0)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("base fiscale")
        verbose_name_plural = _("bases fiscales")
        ordering = ["-year", "tax"]
        constraints = [models.UniqueConstraint(fields=["year", "tax"], name="fiscal_base_unique_year_tax")]

    def __str__(self) -> str:
        return f"{self.get_tax_display()} {self.year}"
