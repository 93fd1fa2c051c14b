"""Core records of the public schema."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "connexion": _("Connexion"),
    "connexion.echec": _("Échec de connexion"),
    "connexion.oidc": _("Connexion avec ProConnect"),
    "deconnexion": _("Déconnexion"),
    "instance.initialisee": _("Instance initialisée"),
    "instance.domaine_modifie": _("Domaine de l'instance modifié"),
    "commune.creee": _("Commune créée"),
    "commune.modifiee": _("Commune modifiée"),
    "commune.exportee": _("Données de la commune exportées"),
    "commune.restauree": _("Commune restaurée depuis une archive"),
    "commune.supprimee": _("Commune supprimée (après export)"),
    "souscription.activee": _("Service activé"),
    "souscription.desactivee": _("Service désactivé"),
    "souscription.demandee": _("Service demandé par la commune"),
    "souscription.demande_acceptee": _("Demande de service acceptée"),
    "souscription.demande_refusee": _("Demande de service refusée"),
    "role.attribue": _("Rôle attribué"),
    "role.modifie": _("Rôle modifié"),
    "role.retire": _("Rôle retiré"),
    "role.administrateur": _("Droits d'administration modifiés"),
    "jeton.cree": _("Jeton d'API créé"),
    "jeton.revoque": _("Jeton d'API révoqué"),
    "export": _("Export"),
    "niveaux_service.modifies": _("Niveaux de service modifiés"),
    "calendrier.modifie": _("Horaires des services modifiés"),
}


class AuditEntry(models.Model):
    """Who did what, when, to what, and why. Written by :func:`mutualise.audit.record`; never edited."""

    at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    actor_label = models.CharField(_("auteur (au moment des faits)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    commune = models.ForeignKey(
        "tenants.Commune",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )
    service = models.CharField(_("service"), max_length=32, blank=True, db_index=True)
    target = models.CharField(_("objet"), max_length=255, blank=True)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["commune", "-at"]), models.Index(fields=["service", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor_label or '—'} {self.action} {self.target}"

    def get_action_display(self) -> str:
        """The action in words; plugins' own actions, not listed, show as recorded."""
        return str(ACTION_LABELS.get(self.action, self.action))


class DemandeIndex(models.Model):
    """One row per demande of every commune, kept in the public schema.

    Written in the same transaction as the demande itself (see ``mutualise.demandes.services``), so that the
    agents' queue across hundreds of communes is one query here, not one per schema.
    ``mutualise rebuild_demande_index`` checks it against the schemas and repairs it.
    """

    commune = models.ForeignKey("tenants.Commune", on_delete=models.CASCADE, related_name="+")
    demande_id = models.BigIntegerField()
    service = models.CharField(max_length=32)
    kind = models.CharField(max_length=32)
    category = models.CharField(max_length=32, blank=True)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12)
    priority = models.PositiveSmallIntegerField()
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()
    taken_at = models.DateTimeField(null=True)
    solved_at = models.DateTimeField(null=True)
    take_charge_due = models.DateTimeField(null=True)
    resolve_due = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True, help_text="La prochaine échéance : prise en charge, puis résolution.")
    # Which deadline the reminder and the escalation were sent for (the periodic check sends each once).
    reminded_for = models.DateTimeField(null=True)
    escalated_for = models.DateTimeField(null=True)
    # A deadline missed: written with the row when the demande is taken in charge or solved late, and by the
    # periodic check once an open demande's deadline has passed (``mutualise.demandes.notifications``).
    take_charge_breached = models.BooleanField(default=False)
    resolve_breached = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("index des demandes")
        verbose_name_plural = _("index des demandes")
        constraints = [models.UniqueConstraint(fields=["commune", "demande_id"], name="one_index_row_per_demande")]
        indexes = [
            models.Index(fields=["assignee", "status"]),
            # The agents' queue in its order (mutualise.demandes.views.queue), so that a page is read from the top of
            # an index instead of sorting every matching row: open demandes (the default), one status, or all; for
            # one service, one status or all. (With the service's index on its deadline alone, a page of one
            # service's closed demandes joined and sorted them all: 19.6 ms for page 20 at 1,000 communes.)
            models.Index(
                fields=["service", "status", "due_at", "priority", "created_at"], name="demande_queue_service_status"
            ),
            models.Index(fields=["service", "due_at", "priority", "created_at"], name="demande_queue_service"),
            models.Index(
                fields=["due_at", "priority", "created_at"],
                name="demande_queue_open",
                condition=models.Q(status__in=["nouvelle", "attribuee", "planifiee", "en_attente"]),
            ),
            models.Index(fields=["status", "due_at", "priority", "created_at"], name="demande_queue_status"),
            models.Index(fields=["due_at", "priority", "created_at"], name="demande_queue_all"),
            # A service's figures per commune and status (bilans, dashboards), read from this index alone.
            models.Index(fields=["service", "commune", "status"], name="demande_service_commune"),
        ]

    def __str__(self) -> str:
        return f"{self.commune_id}/{self.demande_id} {self.title}"


# The tally counted again from the index (DemandeTally.recount; migration 0008 fills it with the same statement).
RECOUNT_SQL = """
LOCK TABLE mutualise_demandeindex IN SHARE MODE;
DELETE FROM mutualise_demandetally;
INSERT INTO mutualise_demandetally (service, status, priority, demandes)
SELECT service, status, priority, count(*) FROM mutualise_demandeindex GROUP BY 1, 2, 3;
"""


class DemandeTally(models.Model):
    """How many rows of the index have each (service, status, priority): the queue's count without reading them all.

    Kept by PostgreSQL itself, in the statement that changes the index (triggers of migration
    ``0008_demandetally``, which also fills it), so that it is exact in every transaction and whoever writes the
    index; ``mutualise rebuild_demande_index`` recounts it. Each statement adds its changes in the order of the key,
    so that two transactions never wait for each other's rows crosswise.
    """

    service = models.CharField(max_length=32)
    status = models.CharField(max_length=12)
    priority = models.PositiveSmallIntegerField()
    demandes = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("décompte des demandes")
        verbose_name_plural = _("décomptes des demandes")
        constraints = [
            models.UniqueConstraint(fields=["service", "status", "priority"], name="one_tally_per_service_status")
        ]

    def __str__(self) -> str:
        return f"{self.service}/{self.status}/P{self.priority}: {self.demandes}"

    @classmethod
    def is_exact(cls) -> bool:
        """Whether the tally is what counting the index gives."""
        counted = DemandeIndex.objects.values_list("service", "status", "priority").annotate(n=models.Count("id"))
        tallied = cls.objects.exclude(demandes=0).values_list("service", "status", "priority", "demandes")
        return set(counted) == set(tallied)

    @classmethod
    def recount(cls) -> None:
        """Count the index again, all at once (the index locked against writes meanwhile)."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RECOUNT_SQL)


def _default_opening_hours() -> dict:
    """Monday to Friday, 8:30–12:00 and 13:30–17:00 (weekday 0 is Monday)."""
    return {str(day): [["08:30", "12:00"], ["13:30", "17:00"]] for day in range(5)}


class ServiceCalendar(models.Model):
    """The intercommunality's business hours, against which service levels are counted. One row (pk 1).

    Its ``version`` moves with every change to the calendar or to the service levels, in the same transaction, so
    that each process knows when to reload what it keeps in memory (see ``mutualise.demandes.levels``).
    """

    opening_hours = models.JSONField(
        _("horaires d'ouverture"),
        default=_default_opening_hours,
        help_text=_("Par jour de la semaine (0 = lundi), des périodes « HH:MM » de début et de fin."),
    )
    timezone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris")
    departement = models.CharField(
        _("département"),
        max_length=3,
        blank=True,
        help_text=_("Pour les jours fériés locaux (Alsace-Moselle, outre-mer) ; vide : celui des communes."),
    )
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("calendrier des services")
        verbose_name_plural = _("calendriers des services")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class ServiceLevel(models.Model):
    """A service's targets for one priority, in business minutes, in force from ``valid_from`` on.

    Rows are dated data: a new target is a new row; the one in force on a day is the latest ``valid_from`` on or
    before it. A service without a row uses the product's defaults (``mutualise.demandes.rules.DEFAULT_TARGETS``).
    """

    service = models.CharField(_("service"), max_length=32)
    priority = models.PositiveSmallIntegerField(_("priorité"))
    take_charge_minutes = models.PositiveIntegerField(_("délai de prise en charge (minutes ouvrées)"))
    resolve_minutes = models.PositiveIntegerField(_("délai de résolution (minutes ouvrées)"))
    valid_from = models.DateField(_("en vigueur à partir du"))
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )

    class Meta:
        verbose_name = _("niveau de service")
        verbose_name_plural = _("niveaux de service")
        ordering = ["service", "priority", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["service", "priority", "valid_from"], name="one_service_level_per_date"),
            models.CheckConstraint(
                condition=models.Q(priority__gte=1, priority__lte=4), name="service_level_priority_p1_to_p4"
            ),
            models.CheckConstraint(
                condition=models.Q(take_charge_minutes__gt=0, resolve_minutes__gte=models.F("take_charge_minutes")),
                name="service_level_resolve_after_take_charge",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} P{self.priority} dès le {self.valid_from:%d/%m/%Y}"


class OutboxMessage(models.Model):
    """A task to queue, written in the transaction of the change that calls for it (see ``mutualise.outbox``).

    Its id is the Celery task id: a task that takes effect once records ``done_at`` in the same transaction as its
    effect, so that a message delivered twice (a worker lost mid-task, a relay after a lost acknowledgement) acts
    once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.CharField(_("tâche"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("arguments nommés"), default=dict, blank=True)
    schema = models.CharField(_("schéma"), max_length=63, help_text=_("Le schéma où la tâche s'exécute."))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    published_at = models.DateTimeField(_("transmis le"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("tentatives de transmission"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    done_at = models.DateTimeField(_("effectué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("message en attente")
        verbose_name_plural = _("messages en attente")
        indexes = [
            models.Index(fields=["created_at"], name="outbox_pending", condition=models.Q(published_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.task} ({self.schema})"
