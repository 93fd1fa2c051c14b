"""The commune's IT inventory (modelled on GLPI's assets)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Asset(models.Model):
    class Kind(models.TextChoices):
        PC = "pc", _("PC fixe")
        LAPTOP = "portable", _("Portable")
        SERVER = "serveur", _("Serveur / NAS")
        PRINTER = "copieur", _("Copieur / imprimante")
        NETWORK = "reseau", _("Switch / routeur / box")
        FIREWALL = "pare_feu", _("Pare-feu")
        PHONE = "telephone", _("Téléphone")
        TABLET = "tablette", _("Tablette")
        UPS = "onduleur", _("Onduleur")

    class Status(models.TextChoices):
        STOCK = "stock", _("En stock")
        IN_SERVICE = "service", _("En service")
        REPAIR = "reparation", _("En réparation")
        RETIRED = "reforme", _("Réformé")

    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    site = models.CharField(_("site"), max_length=100, blank=True, help_text=_("Mairie, école, atelier…"))
    manufacturer = models.CharField(_("fabricant"), max_length=100, blank=True)
    model = models.CharField(_("modèle"), max_length=100, blank=True)
    serial_number = models.CharField(_("numéro de série"), max_length=100, blank=True)
    inventory_number = models.CharField(_("numéro d'inventaire"), max_length=50, blank=True)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.IN_SERVICE)
    assigned_to = models.CharField(_("attribué à"), max_length=150, blank=True)
    os_name = models.CharField(_("système d'exploitation"), max_length=100, blank=True)
    os_version = models.CharField(_("version du système"), max_length=50, blank=True)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    mac_address = models.CharField(_("adresse MAC"), max_length=17, blank=True)
    supplier = models.CharField(_("fournisseur"), max_length=150, blank=True)
    purchase_date = models.DateField(_("date d'achat"), null=True, blank=True)
    warranty_end = models.DateField(_("fin de garantie"), null=True, blank=True)
    purchase_value = models.DecimalField(
        _("valeur d'achat HT (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("équipement")
        verbose_name_plural = _("équipements")
        ordering = ["site", "name"]

    def __str__(self) -> str:
        return self.name
