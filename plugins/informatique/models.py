"""The commune's IT inventory (modelled on GLPI's assets), its contracts and its schéma directeur."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plugins.informatique import rules


class Asset(models.Model):
    class Kind(models.TextChoices):
        PC = "pc", _("PC fixe")
        LAPTOP = "portable", _("Portable")
        SERVER = "serveur", _("Serveur / NAS")
        PRINTER = "copieur", _("Copieur / multifonction")
        SMALL_PRINTER = "imprimante", _("Imprimante")
        NETWORK = "reseau", _("Switch / routeur / box")
        FIREWALL = "pare_feu", _("Pare-feu")
        PHONE = "telephone", _("Téléphone")
        TABLET = "tablette", _("Tablette")
        UPS = "onduleur", _("Onduleur")
        PROJECTOR = "videoprojecteur", _("Vidéoprojecteur")

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

    def is_out_of_warranty(self, on: datetime.date | None = None) -> bool:
        return rules.out_of_warranty(self.warranty_end, on or timezone.localdate())

    def has_unsupported_os(self, on: datetime.date | None = None) -> bool:
        return rules.unsupported_os(self.os_name, self.os_version, on or timezone.localdate())


class Contract(models.Model):
    """A contract of the commune: maintenance, copier lease, telephone lines, licences, logiciel métier…"""

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        COPIER = "copieur", _("Copieur en location")
        PHONE = "telephonie", _("Lignes téléphoniques / internet")
        LICENCE = "licence", _("Licences")
        SOFTWARE = "logiciel_metier", _("Logiciel métier")
        HOSTING = "hebergement", _("Hébergement / messagerie")
        OTHER = "autre", _("Autre")

    kind = models.CharField(_("type de contrat"), max_length=20, choices=Kind.choices)
    supplier = models.CharField(_("fournisseur"), max_length=150)
    reference = models.CharField(_("référence"), max_length=100, blank=True, help_text=_("Numéro du contrat."))
    subject = models.CharField(_("objet"), max_length=200)
    start_date = models.DateField(_("date de début"))
    end_date = models.DateField(_("date de fin"), help_text=_("Fin de la période initiale."))
    tacit_renewal = models.BooleanField(_("tacite reconduction"), default=False)
    renewal_months = models.PositiveSmallIntegerField(
        _("durée de reconduction (mois)"), null=True, blank=True, help_text=_("Par exemple 12 pour un an.")
    )
    notice_months = models.PositiveSmallIntegerField(
        _("préavis (mois)"), default=0, help_text=_("Délai de dénonciation avant l'échéance.")
    )
    annual_amount = models.DecimalField(
        _("montant annuel TTC (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    denounced_on = models.DateField(
        _("dénoncé le"),
        null=True,
        blank=True,
        help_text=_("Date d'envoi de la dénonciation : le contrat s'arrête à la fin de la période, sans rappel."),
    )
    assets = models.ManyToManyField(Asset, blank=True, related_name="contracts", verbose_name=_("équipements couverts"))
    notes = models.TextField(_("remarques"), blank=True, max_length=5000)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("contrat")
        verbose_name_plural = _("contrats")
        ordering = ["end_date", "supplier"]

    def __str__(self) -> str:
        return f"{self.supplier} — {self.subject}"

    def clean(self) -> None:
        """The French errors of an inconsistent contract (also used by the form)."""
        errors = {}
        if self.start_date and self.end_date:
            if self.end_date <= self.start_date:
                errors["end_date"] = _("La date de fin doit être postérieure à la date de début.")
            elif self.notice_months and self.notice_months >= rules.months_between(self.start_date, self.end_date):
                errors["notice_months"] = _("Le préavis doit être plus court que la durée du contrat.")
        if self.tacit_renewal:
            if not self.renewal_months:
                errors["renewal_months"] = _("Indiquez la durée de reconduction (en mois).")
            elif self.notice_months and self.notice_months >= self.renewal_months:
                errors.setdefault("notice_months", _("Le préavis doit être plus court que la durée de reconduction."))
        elif self.renewal_months:
            errors["renewal_months"] = _("Sans tacite reconduction, laissez la durée de reconduction vide.")
        if self.denounced_on and self.start_date and self.denounced_on < self.start_date:
            errors["denounced_on"] = _("La dénonciation ne peut pas précéder le début du contrat.")
        if self.annual_amount is not None and self.annual_amount < 0:
            errors["annual_amount"] = _("Le montant ne peut pas être négatif.")
        if errors:
            raise ValidationError(errors)

    @property
    def term(self) -> rules.Term:
        return rules.Term(self.end_date, self.tacit_renewal, self.renewal_months, self.notice_months, self.denounced_on)

    def next_end_date(self, on: datetime.date | None = None) -> datetime.date:
        """The end of the term running today (tacit renewals rolled forward)."""
        return rules.next_end_date(self.term, on or timezone.localdate())

    def next_notice_deadline(self, on: datetime.date | None = None) -> datetime.date | None:
        """The next date limite de dénonciation, or ``None`` once a contract without renewal is past it."""
        return rules.next_notice_deadline(self.term, on or timezone.localdate())


class ContractReminder(models.Model):
    """A reminder sent for one notice deadline of a contract, so that it is never sent twice."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reminders")
    deadline = models.DateField(_("date limite de dénonciation"))
    days_before = models.PositiveSmallIntegerField(_("jours avant l'échéance"))
    sent_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(_("destinataires"), default=0)

    class Meta:
        verbose_name = _("rappel de contrat")
        verbose_name_plural = _("rappels de contrats")
        constraints = [
            models.UniqueConstraint(fields=["contract", "deadline", "days_before"], name="one_reminder_per_deadline")
        ]

    def __str__(self) -> str:
        return f"{self.contract} — {self.deadline:%d/%m/%Y} (J-{self.days_before})"


class SchemaAction(models.Model):
    """An action of the commune's schéma directeur informatique, planned for a year."""

    class Category(models.TextChoices):
        FLEET = "parc", _("Parc et postes de travail")
        NETWORK = "reseau", _("Réseau et téléphonie")
        BACKUP = "sauvegarde", _("Sauvegarde")
        SECURITY = "securite", _("Sécurité")
        SOFTWARE = "logiciels", _("Logiciels métier")
        PRINTING = "impression", _("Impression")
        RGPD = "rgpd", _("RGPD")
        DIGITAL = "dematerialisation", _("Dématérialisation")
        TRAINING = "formation", _("Formation")
        OTHER = "autre", _("Autre")

    class Status(models.TextChoices):
        PLANNED = "prevue", _("Prévue")
        COMMITTED = "engagee", _("Engagée")
        DONE = "realisee", _("Réalisée")
        ABANDONED = "abandonnee", _("Abandonnée")

    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    category = models.CharField(_("catégorie"), max_length=20, choices=Category.choices)
    year = models.PositiveSmallIntegerField(_("année"))
    estimated_cost = models.DecimalField(
        _("coût estimé TTC (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    actual_cost = models.DecimalField(
        _("coût réalisé TTC (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Une fois l'action réalisée ; à défaut, le coût estimé est retenu."),
    )
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("action du schéma directeur")
        verbose_name_plural = _("actions du schéma directeur")
        ordering = ["year", "category", "title"]

    def __str__(self) -> str:
        return f"{self.year} — {self.title}"

    def clean(self) -> None:
        errors = {}
        if self.year is not None and not 2000 <= self.year <= 2100:
            errors["year"] = _("Indiquez une année entre 2000 et 2100.")
        for name in ("estimated_cost", "actual_cost"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                errors[name] = _("Le montant ne peut pas être négatif.")
        if self.actual_cost is not None and self.status != self.Status.DONE:
            errors["actual_cost"] = _("Le coût réalisé ne s'indique que pour une action réalisée.")
        if errors:
            raise ValidationError(errors)

    @property
    def spent(self) -> Decimal:
        """What a realised action cost: its actual cost, else its estimate; nothing for the others."""
        if self.status != self.Status.DONE:
            return Decimal("0")
        return self.actual_cost if self.actual_cost is not None else (self.estimated_cost or Decimal("0"))
