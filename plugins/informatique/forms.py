"""Forms of the Informatique pages; the consistency rules live in the models' ``clean``."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from mutualise.imports import parse_decimal
from plugins.informatique.models import Asset, Contract, SchemaAction

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class EuroField(forms.DecimalField):
    """An amount typed the French way: ``1 234,50``, ``1234.5`` or ``1 234,50 €``."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def to_python(self, value):
        if isinstance(value, str):
            try:
                value = parse_decimal(value)
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        return super().to_python(value)

    def widget_attrs(self, widget):
        return {}  # no step/min attributes: the field is text, so that "1 234,50" can be typed


def euro_field(model_field, **kwargs):
    return EuroField(
        label=capfirst(model_field.verbose_name),
        required=not model_field.blank,
        max_digits=model_field.max_digits,
        decimal_places=model_field.decimal_places,
        min_value=0,
        localize=True,
        **kwargs,
    )


def date_field(form_field: forms.Field) -> None:
    form_field.input_formats = DATE_FORMATS
    form_field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "kind",
            "supplier",
            "reference",
            "subject",
            "start_date",
            "end_date",
            "tacit_renewal",
            "renewal_months",
            "notice_months",
            "annual_amount",
            "denounced_on",
            "assets",
            "notes",
        ]
        widgets = {"assets": forms.SelectMultiple(attrs={"size": 8}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start_date", "end_date", "denounced_on"):
            date_field(self.fields[name])
        self.fields["annual_amount"] = euro_field(Contract._meta.get_field("annual_amount"))
        self.fields["assets"].queryset = Asset.objects.exclude(status=Asset.Status.RETIRED)
        self.fields["assets"].required = False
        self.fields["assets"].label_from_instance = lambda asset: " — ".join(
            part for part in (asset.name, asset.site, asset.inventory_number) if part
        )
        self.fields["assets"].help_text = _("Plusieurs choix possibles (Ctrl ou Maj + clic).")
        for name in ("notice_months", "renewal_months"):
            self.fields[name].validators.append(MaxValueValidator(120, _("Au plus 120 mois.")))


class SchemaActionForm(forms.ModelForm):
    class Meta:
        model = SchemaAction
        fields = ["year", "title", "category", "status", "estimated_cost", "actual_cost", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("estimated_cost", "actual_cost"):
            field = euro_field(SchemaAction._meta.get_field(name))
            field.help_text = SchemaAction._meta.get_field(name).help_text
            self.fields[name] = field
