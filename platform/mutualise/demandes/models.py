"""A commune's demandes to the services, in the commune's schema: the thread, attachments, time spent, history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mutualise.demandes.rules import Level, Priority, Status


class Demande(models.Model):
    service = models.CharField(_("service"), max_length=32, db_index=True)
    kind = models.CharField(_("type"), max_length=32)
    category = models.CharField(_("catégorie"), max_length=32, blank=True)
    title = models.CharField(_("objet"), max_length=200)
    description = models.TextField(_("description"), max_length=20000)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("demandeur")
    )
    urgency = models.PositiveSmallIntegerField(_("urgence"), choices=Level.choices, default=Level.MEDIUM)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(_("priorité"), choices=Priority.choices, default=Priority.P3)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attribuée à"),
    )
    # The deadlines count from this moment: services.create sets it with them.
    created_at = models.DateTimeField(_("ouverte le"), default=timezone.now, editable=False)
    taken_at = models.DateTimeField(_("prise en charge le"), null=True, blank=True)
    solved_at = models.DateTimeField(_("résolue le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    take_charge_due = models.DateTimeField(_("prise en charge attendue avant"), null=True, blank=True)
    resolve_due = models.DateTimeField(_("résolution attendue avant"), null=True, blank=True)
    # The service level in force when the demande was opened: a later change of the targets leaves it alone.
    take_charge_minutes = models.PositiveIntegerField(_("délai de prise en charge (minutes ouvrées)"), null=True)
    resolve_minutes = models.PositiveIntegerField(_("délai de résolution (minutes ouvrées)"), null=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"n° {self.pk} — {self.title}"


class Message(models.Model):
    """A message of the thread between the commune and the service; an internal note is hidden from the commune."""

    demande = models.ForeignKey(Demande, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("auteur")
    )
    body = models.TextField(_("message"), max_length=20000)
    internal = models.BooleanField(
        _("note interne"), default=False, help_text=_("Visible des seuls agents du service.")
    )
    created_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} — {self.created_at:%d/%m/%Y %H:%M}"


class Attachment(models.Model):
    """A file attached to a demande, kept in the commune's own storage."""

    demande = models.ForeignKey(Demande, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to="demandes/%Y/%m/")
    name = models.CharField(_("nom"), max_length=200)
    size = models.PositiveIntegerField(_("taille (octets)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class TimeEntry(models.Model):
    """Time an agent spent on a demande: the activity unit behind the allocation of the service's costs."""

    demande = models.ForeignKey(Demande, on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    date = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("durée (minutes)"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("temps passé")
        verbose_name_plural = _("temps passés")
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gt=0, minutes__lte=24 * 60), name="time_entry_minutes_in_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.minutes} min le {self.date:%d/%m/%Y}"


class StatusChange(models.Model):
    """The history of a demande's statuses: it also tells when the clock was paused, waiting on the commune."""

    demande = models.ForeignKey(Demande, on_delete=models.CASCADE, related_name="status_changes")
    before = models.CharField(max_length=12, choices=Status.choices, blank=True)
    after = models.CharField(max_length=12, choices=Status.choices)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.before or '—'} → {self.after}"
