"""The account of a person, identified by e-mail. Roles per commune and per service come with memberships."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PERSON_NOT_DELETED = _(
    "Une personne ne se supprime pas : désactivez son compte ; son nom reste sur les demandes et dans le journal."
)


def refuse_deletion() -> ValidationError:
    """The error a deletion of people meets: they are deactivated instead (``is_active``), never deleted."""
    return ValidationError(PERSON_NOT_DELETED, code="person_not_deleted")


class UserQuerySet(models.QuerySet):
    def delete(self):
        """Refused (:func:`refuse_deletion`): a bulk deletion of people, as the admin's action would run."""
        raise refuse_deletion()

    delete.alters_data = True
    delete.queryset_only = True


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("Une adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("adresse e-mail"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("administrateur de la communauté"),
        default=False,
        help_text=_("Accès à la console et à l'administration de l'instance."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    def delete(self, using=None, keep_parents=False):
        """Refused with a French error (:func:`refuse_deletion`): a person is deactivated, not deleted.

        Their name stays on the demandes they made or handled and in the audit journal, whose rows point to this
        one, from the public schema and from every commune's: Django's deletion collector, run from the public
        schema, cannot even read the communes' tables, and their foreign keys would refuse the deletion anyway. To
        erase what identifies a person, this row's fields are what must change, not its existence.
        """
        raise refuse_deletion()

    # A community administrator may do everything in the console, the Django admin included.
    def has_perm(self, perm, obj=None) -> bool:
        return (self.is_active and self.is_staff) or super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        return (self.is_active and self.is_staff) or super().has_module_perms(app_label)


class CommuneRole(models.TextChoices):
    LECTEUR = "lecteur", _("Lecteur (élu, lecture seule)")
    AGENT = "agent", _("Agent de la commune")
    REFERENT = "referent", _("Référent (gère aussi les utilisateurs de la commune)")


class ServiceRole(models.TextChoices):
    AGENT = "agent", _("Agent du service")
    RESPONSABLE = "responsable", _("Responsable du service")


class CommuneMembership(models.Model):
    """A person's role in one commune. A person may belong to several communes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="commune_memberships")
    commune = models.ForeignKey("tenants.Commune", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=20, choices=CommuneRole.choices)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("rôle dans une commune")
        verbose_name_plural = _("rôles dans les communes")
        constraints = [models.UniqueConstraint(fields=["user", "commune"], name="one_role_per_commune")]

    def __str__(self) -> str:
        return f"{self.user} — {self.commune} ({self.get_role_display()})"


class ServiceMembership(models.Model):
    """A community agent's role in one shared service (by slug)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="service_memberships")
    service = models.CharField(_("service"), max_length=32)
    role = models.CharField(_("rôle"), max_length=20, choices=ServiceRole.choices)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("rôle dans un service")
        verbose_name_plural = _("rôles dans les services")
        constraints = [models.UniqueConstraint(fields=["user", "service"], name="one_role_per_service")]

    def __str__(self) -> str:
        return f"{self.user} — {self.service} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A personal API token, bound to one commune's space or to the community space (``commune`` empty).

    Only a digest of the secret is stored; the token itself is shown once, when it is created.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    commune = models.ForeignKey(
        "tenants.Commune",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("espace"),
        help_text=_("Vide : l'espace de la communauté."),
    )
    prefix = models.CharField(_("préfixe"), max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (mut_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        """Invitations neither accepted nor cancelled (expired ones included: they can be sent again)."""
        return self.filter(accepted_at__isnull=True, cancelled_at__isnull=True)


class Invitation(models.Model):
    """An invitation sent by e-mail to join the platform with the roles it names.

    Only a digest of the link's secret is stored; the link itself is in the e-mail alone. It is valid for
    :data:`VALIDITY_DAYS` days, once; sending it again issues a new link and makes the previous one worthless.
    """

    VALIDITY_DAYS = 7

    email = models.EmailField(_("adresse e-mail"))
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    commune = models.ForeignKey(
        "tenants.Commune",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("commune"),
    )
    commune_role = models.CharField(_("rôle dans la commune"), max_length=20, choices=CommuneRole.choices, blank=True)
    service = models.CharField(_("service"), max_length=32, blank=True)
    service_role = models.CharField(_("rôle dans le service"), max_length=20, choices=ServiceRole.choices, blank=True)
    is_admin = models.BooleanField(_("administrateur de la communauté"), default=False)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("invité par")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("compte")
    )
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and not self.is_expired

    @property
    def grants_only_commune_role(self) -> bool:
        """Whether a commune's référent may manage it: a commune role, nothing else."""
        return bool(self.commune_id and self.commune_role) and not self.service and not self.is_admin


class NotificationPreference(models.Model):
    """Whether a person receives by e-mail the notices of one service (``service`` empty: the platform's own).

    No row means yes: e-mails are on until the person mutes them.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_preferences")
    service = models.CharField(_("service"), max_length=32, blank=True)
    email = models.BooleanField(_("par e-mail"), default=True)

    class Meta:
        verbose_name = _("préférence de notification")
        verbose_name_plural = _("préférences de notification")
        constraints = [models.UniqueConstraint(fields=["user", "service"], name="one_preference_per_service")]

    def __str__(self) -> str:
        return f"{self.user} — {self.service or 'plateforme'} ({'oui' if self.email else 'non'})"
