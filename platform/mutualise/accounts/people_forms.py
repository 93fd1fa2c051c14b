"""Forms for managing people (console and commune référents), accepting an invitation, and the profile."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from mutualise.accounts.models import CommuneMembership, CommuneRole, Invitation, ServiceRole, User
from mutualise.plugins import get_registry
from tenants.models import Commune

TEXT_MAX = 150
SEARCH_MAX = 100

# The roles as a choice list: short labels, so that a select fits a phone's width; the help text says what each does.
COMMUNE_ROLES = [
    (CommuneRole.LECTEUR.value, _("Lecteur (lecture seule)")),
    (CommuneRole.AGENT.value, _("Agent")),
    (CommuneRole.REFERENT.value, _("Référent")),
]
COMMUNE_ROLES_HELP = _(
    "Lecteur : consulte sans rien modifier (élus). Agent : travaille dans l'espace de la commune. "
    "Référent : gère aussi les utilisateurs de la commune."
)


def service_choices(empty: str | None = None) -> list[tuple[str, str]]:
    choices = [(service.slug, service.label) for service in get_registry()]
    return [("", empty), *choices] if empty is not None else choices


def with_empty(choices, empty) -> list:
    return [("", empty), *choices]


def password_help_text() -> str:
    """The password rules as one plain sentence (Django's own help is an HTML list, which a <p> cannot hold)."""
    return " ".join(str(text) for text in password_validation.password_validators_help_texts())


class SearchInput(forms.TextInput):
    input_type = "search"


@dataclass
class FieldGroup:
    """Some fields of a form, shown in a fieldset: ``mutualise/form_fields.html`` renders it as it renders a form."""

    legend: str
    fields: list = field(default_factory=list)
    help: str = ""

    def visible_fields(self) -> list:
        return [f for f in self.fields if not f.is_hidden]

    def hidden_fields(self) -> list:
        return [f for f in self.fields if f.is_hidden]

    def non_field_errors(self) -> list:
        return []


class GroupedForm(forms.Form):
    """A form whose fields are laid out in fieldsets: ``groups`` is ``[(legend, [field names], help), …]``."""

    groups: list[tuple] = []

    def fieldsets(self) -> list[FieldGroup]:
        return [
            FieldGroup(str(legend), [self[name] for name in names if name in self.fields], str(help_text))
            for legend, names, help_text in self.groups
        ]


# -- Console ----------------------------------------------------------------------------------------------------------


class PeopleFilterForm(forms.Form):
    """The filters of the people list; an invalid value is ignored rather than refused."""

    STATES = [("", _("Tous")), ("actifs", _("Actifs")), ("desactives", _("Désactivés"))]

    q = forms.CharField(
        label=_("Nom ou adresse e-mail"),
        max_length=SEARCH_MAX,
        required=False,
        widget=SearchInput(attrs={"autocomplete": "off"}),
    )
    commune = forms.ModelChoiceField(
        label=_("Commune"), queryset=Commune.objects.order_by("name"), required=False, empty_label=_("Toutes")
    )
    service = forms.ChoiceField(label=_("Service"), required=False)
    etat = forms.ChoiceField(label=_("État du compte"), choices=STATES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = service_choices(_("Tous"))

    def filters(self) -> dict:
        """The valid filters only: a value that is wrong is dropped, never a reason to fail."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}


class InviteForm(GroupedForm):
    """The console's invitation: an e-mail, a name, and the roles to grant (at least one)."""

    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    first_name = forms.CharField(label=_("Prénom"), max_length=TEXT_MAX, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=TEXT_MAX, required=False)
    commune = forms.ModelChoiceField(
        label=_("Commune"), queryset=Commune.objects.order_by("name"), required=False, empty_label=_("Aucune")
    )
    commune_role = forms.ChoiceField(
        label=_("Rôle dans la commune"),
        choices=with_empty(COMMUNE_ROLES, _("Aucun")),
        required=False,
        help_text=COMMUNE_ROLES_HELP,
    )
    service = forms.ChoiceField(label=_("Service"), required=False)
    service_role = forms.ChoiceField(
        label=_("Rôle dans le service"), choices=with_empty(ServiceRole.choices, _("Aucun")), required=False
    )
    is_admin = forms.BooleanField(
        label=_("Administrateur de la communauté"),
        required=False,
        help_text=_("Accès à toute la console, à tous les espaces des communes et à l'administration de l'instance."),
    )

    groups = [
        (_("La personne"), ["email", "first_name", "last_name"], ""),
        (_("Rôle dans une commune (facultatif)"), ["commune", "commune_role"], ""),
        (_("Rôle dans un service commun (facultatif)"), ["service", "service_role"], ""),
        (_("Administration (facultatif)"), ["is_admin"], ""),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = service_choices(_("Aucun"))
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email, is_active=False).exists():
            raise ValidationError(
                _("Le compte de cette adresse est désactivé : réactivez-le depuis la fiche de la personne.")
            )
        return email

    def clean(self):
        data = super().clean()
        commune, commune_role = data.get("commune"), data.get("commune_role")
        service, service_role = data.get("service"), data.get("service_role")
        if commune and not commune_role:
            self.add_error("commune_role", _("Choisissez le rôle dans la commune, ou aucune commune."))
        if commune_role and not commune:
            self.add_error("commune", _("Choisissez la commune de ce rôle."))
        if service and not service_role:
            self.add_error("service_role", _("Choisissez le rôle dans le service, ou aucun service."))
        if service_role and not service:
            self.add_error("service", _("Choisissez le service de ce rôle."))
        if not self.errors and not (commune_role or service_role or data.get("is_admin")):
            raise ValidationError(
                _("Donnez au moins un rôle : dans une commune, dans un service, ou administrateur de la communauté.")
            )
        if data.get("email") and not self.errors:
            _refuse_duplicate(data["email"], commune if commune_role else None)
        return data


def _refuse_duplicate(email: str, commune) -> None:
    pending = Invitation.objects.pending().filter(email__iexact=email, commune=commune if commune else None)
    if not commune:
        pending = pending.filter(commune_role="")
    if pending.exists():
        raise ValidationError(
            _(
                "Une invitation est déjà en attente pour cette adresse et cet espace : envoyez-la de nouveau depuis "
                "la liste des invitations, ou annulez-la d'abord."
            )
        )


class CommuneInviteForm(GroupedForm):
    """A référent's invitation into their own commune: a commune role, nothing else."""

    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    first_name = forms.CharField(label=_("Prénom"), max_length=TEXT_MAX, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=TEXT_MAX, required=False)
    commune_role = forms.ChoiceField(
        label=_("Rôle dans la commune"), choices=COMMUNE_ROLES, help_text=COMMUNE_ROLES_HELP
    )

    groups = [(_("La personne"), ["email", "first_name", "last_name"], ""), (_("Son rôle"), ["commune_role"], "")]

    def __init__(self, *args, commune, **kwargs):
        self.commune = commune
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and not user.is_active:
            raise ValidationError(_("Le compte de cette adresse est désactivé : adressez-vous à l'intercommunalité."))
        if user is not None and CommuneMembership.objects.filter(user=user, commune=self.commune).exists():
            raise ValidationError(
                _("Cette personne a déjà un rôle dans la commune : changez-le dans la liste des utilisateurs.")
            )
        _refuse_duplicate(email, self.commune)
        return email


class CommuneRoleForm(forms.Form):
    commune = forms.ModelChoiceField(
        label=_("Commune"), queryset=Commune.objects.order_by("name"), empty_label=_("Choisissez une commune")
    )
    role = forms.ChoiceField(label=_("Rôle"), choices=COMMUNE_ROLES, help_text=COMMUNE_ROLES_HELP)


class ServiceRoleForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"))
    role = forms.ChoiceField(label=_("Rôle"), choices=ServiceRole.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = service_choices(_("Choisissez un service"))


class RoleForm(forms.Form):
    """A commune role alone: what a référent changes for one of the commune's people."""

    role = forms.ChoiceField(label=_("Rôle"), choices=COMMUNE_ROLES)


# -- Accepting an invitation ------------------------------------------------------------------------------------------


class ChoosePasswordForm(SetPasswordForm):
    """A new account (or one without a password): the person chooses their password, checked by the validators."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("Choisissez un mot de passe")
        self.fields["new_password1"].help_text = password_help_text()
        self.fields["new_password2"].label = _("Confirmez le mot de passe")
        self.fields["new_password2"].help_text = ""


class ConfirmPasswordForm(forms.Form):
    """An existing account with a password: the person proves it is theirs with that password."""

    password = forms.CharField(
        label=_("Votre mot de passe actuel"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Vous avez déjà un compte à cette adresse : les nouveaux rôles s'y ajoutent."),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(
                _("Mot de passe incorrect. S'il est oublié, utilisez « Mot de passe oublié ? » puis revenez ici.")
            )
        return password

    def save(self) -> User:
        return self.user


# -- Profile ----------------------------------------------------------------------------------------------------------


class IdentityForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name"]
        labels = {"first_name": _("Prénom"), "last_name": _("Nom")}


class ProfilePasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Mot de passe actuel")
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["new_password1"].help_text = password_help_text()
        self.fields["new_password2"].help_text = ""


class NotificationForm(GroupedForm):
    """One box per source of e-mails: the platform's own notices, then each installed service."""

    PLATFORM = ""

    def __init__(self, *args, current: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = [(self.PLATFORM, _("Messages de la plateforme (invitations, comptes, souscriptions)"))]
        self.sources += [(service.slug, service.label) for service in get_registry()]
        for slug, label in self.sources:
            self.fields[self.field_name(slug)] = forms.BooleanField(
                label=label, required=False, initial=current.get(slug, True)
            )
        self.groups = [
            (
                _("Recevoir par e-mail les messages de :"),
                [self.field_name(slug) for slug, _label in self.sources],
                "",
            )
        ]

    @staticmethod
    def field_name(slug: str) -> str:
        return f"service_{slug}" if slug else "plateforme"

    def choices(self) -> dict[str, bool]:
        return {slug: self.cleaned_data[self.field_name(slug)] for slug, _label in self.sources}
