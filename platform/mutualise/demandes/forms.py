"""Forms of the demandes pages."""

from __future__ import annotations

import os

from django import forms
from django.utils.translation import gettext_lazy as _

from mutualise.demandes.rules import Level, Status

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".txt", ".csv", ".odt", ".ods", ".docx", ".xlsx"}


class DemandeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de demande"))
    category = forms.ChoiceField(label=_("Catégorie"), required=False)
    title = forms.CharField(label=_("Objet"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Ce qui se passe, depuis quand, qui est gêné, ce qui a déjà été essayé."),
    )
    urgency = forms.TypedChoiceField(label=_("Urgence"), choices=Level.choices, coerce=int, initial=Level.MEDIUM)
    impact = forms.TypedChoiceField(
        label=_("Impact"),
        choices=Level.choices,
        coerce=int,
        initial=Level.MEDIUM,
        help_text=_("Une personne gênée, un service, toute la mairie ?"),
    )

    def __init__(self, *args, request_types: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(code, t.label) for code, t in request_types.items()]
        categories = {c for t in request_types.values() for c in t.categories}
        self.fields["category"].choices = [("", _("—"))] + sorted(categories, key=lambda c: str(c[1]))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(
        label=_("Pièce jointe"),
        required=False,
        help_text=_("Facultative : PDF, image, texte, tableur ou traitement de texte, 10 Mo au plus."),
    )
    internal = forms.BooleanField(label=_("Note interne (invisible de la commune)"), required=False)

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            check_upload(upload.name, upload.size)
        return upload


def check_upload(name: str, size: int) -> str:
    """The name a file will be shown under; a French ``ValidationError`` if it is too big or of a refused type.

    Only the last extension counts (``facture.pdf.exe`` is an .exe); the path is dropped (``../../x.pdf`` → ``x.pdf``).
    """
    clean = os.path.basename(name.replace("\\", "/")).strip().strip(".") or "fichier"
    extension = os.path.splitext(clean)[1].lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise forms.ValidationError(
            _("Type de fichier refusé (%(ext)s). Types acceptés : %(allowed)s.")
            % {"ext": extension or _("sans extension"), "allowed": ", ".join(sorted(ALLOWED_EXTENSIONS))}
        )
    if size > MAX_ATTACHMENT_BYTES:
        raise forms.ValidationError(_("Fichier trop volumineux : 10 Mo au plus."))
    if size == 0:
        raise forms.ValidationError(_("Ce fichier est vide."))
    return clean[:200]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Nouveau statut"), choices=Status.choices)


class TimeForm(forms.Form):
    date = forms.DateField(
        label=_("Date"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    minutes = forms.IntegerField(label=_("Durée (minutes)"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class FlatSelect(forms.Select):
    """A list without groups, its options written in the list's own template.

    Django's ``Select`` draws each option through a template of its own: the queue's filters, drawn again for every
    new query, spent most of their time there (0.8 ms for the list of services).
    """

    template_name = "mutualise/widgets/flat_select.html"


class QueueFilterForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"), required=False, widget=FlatSelect)
    commune = forms.CharField(label=_("Commune (code INSEE)"), required=False, max_length=5)
    status = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[("", _("Ouvertes")), ("toutes", _("Toutes"))] + list(Status.choices),
        widget=FlatSelect,
    )
    priority = forms.ChoiceField(label=_("Priorité"), required=False, widget=FlatSelect)
    mine = forms.BooleanField(label=_("Attribuées à moi"), required=False)
    late = forms.BooleanField(label=_("Échéance dépassée"), required=False)

    def __init__(self, *args, services: list, **kwargs):
        super().__init__(*args, **kwargs)
        from mutualise.demandes.rules import Priority

        self.fields["service"].choices = [("", _("Tous mes services"))] + [(s.slug, s.label) for s in services]
        self.fields["priority"].choices = [("", _("Toutes"))] + [(str(v), label) for v, label in Priority.choices]
