"""Commune side of the Informatique service: the inventory, its import and its exports."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from mutualise.exports import table_response
from mutualise.imports import ImportFailed
from mutualise.views import ServiceLandingView
from plugins.informatique import imports
from plugins.informatique.models import Asset

EXPORT_COLUMNS = [
    ("Nom", "name"),
    ("Type", "get_kind_display"),
    ("Lieu", "site"),
    ("Fabricant", "manufacturer"),
    ("Modèle", "model"),
    ("Numéro de série", "serial_number"),
    ("Numéro d'inventaire", "inventory_number"),
    ("Statut", "get_status_display"),
    ("Utilisateur", "assigned_to"),
    ("Système d'exploitation - Nom", "os_name"),
    ("Système d'exploitation - Version", "os_version"),
    ("Adresse IP", "ip_address"),
    ("Adresse MAC", "mac_address"),
    ("Fournisseur", "supplier"),
    ("Date d'achat", "purchase_date"),
    ("Date de fin de garantie", "warranty_end"),
    ("Valeur d'achat HT", "purchase_value"),
]


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(assets=Asset.objects.all(), **kwargs)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV de l'inventaire"),
        help_text=_("Export de GLPI ou tableur enregistré en CSV (séparateur ; ou ,)."),
    )


def import_assets(request):
    """Upload an inventory file: every line is checked first; one error and nothing is imported."""
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            created, updated = imports.import_assets(form.cleaned_data["file"].read())
        except ImportFailed as failure:
            errors = failure.errors
        else:
            messages.success(
                request,
                _("Inventaire importé : %(created)d équipement(s) ajouté(s), %(updated)d mis à jour.")
                % {"created": created, "updated": updated},
            )
            return redirect("informatique:index")
    status = 400 if errors or form.errors else 200
    return render(request, "informatique/import.html", {"form": form, "errors": errors}, status=status)


EXPORT_FORMATS = {"excel", "csv", "xlsx"}


def export_assets(request, format: str):
    if format not in EXPORT_FORMATS:
        from django.http import Http404

        raise Http404("Format d'export inconnu.")
    rows = (
        [getattr(asset, attr)() if attr.startswith("get_") else getattr(asset, attr) for _, attr in EXPORT_COLUMNS]
        for asset in Asset.objects.all()
    )
    name = f"inventaire-{request.commune.slug}"
    return table_response(
        request, name, [title for title, _ in EXPORT_COLUMNS], rows, format=format, service="informatique"
    )


def widget(request):
    """The dashboard card: equipment in service, and how many are past their warranty."""
    from django.db.models import Count, Q
    from django.utils import timezone

    figures = Asset.objects.exclude(status=Asset.Status.RETIRED).aggregate(
        total=Count("id"), out_of_warranty=Count("id", filter=Q(warranty_end__lt=timezone.localdate()))
    )
    return render(request, "informatique/widget.html", figures)
