"""Community side of the Groupements d'achats: the coordinator creates groupements and follows them live.

Every page reads the public schema only: the members' answers are summarised there as they are written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mutualise.exports import table_response
from mutualise.imports import ImportFailed
from mutualise.services import communes_with_service
from mutualise.thresholds import ThresholdUnknown, procedure_for
from mutualise.views import ServiceCommunityView
from plugins.achats import imports, rules, services
from plugins.achats.coordination.models import Article, Groupement, Member, NeedSummary

S = Groupement.Status
EXPORT_FORMATS = {"excel", "csv", "xlsx"}


def with_answer_rates(queryset):
    return queryset.annotate(
        member_count=Count("members", distinct=True),
        answered_count=Count("members", filter=Q(members__answered_at__isnull=False), distinct=True),
    )


class IndexView(ServiceCommunityView):
    """The groupements, newest first, with their answer rate; then the communes subscribing to the service."""

    template_name = "achats/community/index.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(groupements=with_answer_rates(Groupement.objects.all()), **kwargs)


class GroupementForm(forms.ModelForm):
    class Meta:
        model = Groupement
        fields = [
            "title",
            "category",
            "kind",
            "nature",
            "description",
            "convention_text",
            "deadline",
            "duration_months",
            "launch_date",
        ]
        widgets = {"deadline": forms.DateInput(), "launch_date": forms.DateInput()}
        help_texts = {"deadline": gettext_lazy("JJ/MM/AAAA")}


def create(request) -> HttpResponse:
    form = GroupementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        groupement = services.create_groupement(form.cleaned_data, user=request.user)
        messages.success(request, _("Groupement créé : ajoutez ses articles."))
        return redirect("achats:groupement", pk=groupement.pk)
    status = 400 if form.errors else 200
    return render(
        request, "achats/community/form.html", {"form": form, "service": services.get_service()}, status=status
    )


def edit(request, pk: int) -> HttpResponse:
    groupement = get_object_or_404(Groupement, pk=pk)
    form = GroupementForm(request.POST or None, instance=groupement)
    if request.method == "POST" and form.is_valid():
        from mutualise import audit

        form.save()
        audit.record(
            "achats.groupement.modifie",
            service="achats",
            target=f"groupement {groupement.pk} — {groupement}",
            after={name: form.cleaned_data[name] for name in form.changed_data},
        )
        messages.success(request, _("Groupement modifié."))
        return redirect("achats:groupement", pk=pk)
    status = 400 if form.errors else 200
    context = {"form": form, "groupement": groupement, "service": services.get_service()}
    return render(request, "achats/community/form.html", context, status=status)


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ["code", "lot", "label", "unit", "previous_price"]

    def __init__(self, *args, groupement, **kwargs):
        super().__init__(*args, **kwargs)
        self.groupement = groupement

    def clean_previous_price(self):
        price = self.cleaned_data["previous_price"]
        if price is not None and price < 0:
            raise ValidationError(_("Le prix unitaire antérieur ne peut pas être négatif."))
        return price

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if self.groupement.articles.filter(code__iexact=code).exists():
            raise ValidationError(_("Un article porte déjà ce code dans le groupement."))
        return code


class AwardForm(forms.Form):
    supplier = forms.CharField(label=gettext_lazy("Titulaire du marché"), max_length=200)
    siret = forms.RegexField(label=gettext_lazy("SIRET du titulaire"), regex=r"^\d{14}$", required=False, max_length=14)
    costs = forms.DecimalField(
        label=gettext_lazy("Frais de procédure à répartir (€ HT)"), min_value=0, max_digits=12, decimal_places=2
    )
    cost_key = forms.ChoiceField(label=gettext_lazy("Clé de répartition des frais"), choices=Groupement.CostKey.choices)


class PricesForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Bordereau des prix (CSV ou XLSX)"),
        help_text=gettext_lazy("Colonnes « Code » et « Prix unitaire » (€ HT) ; une ligne par article."),
    )


def _detail_context(groupement: Groupement, **extra) -> dict:
    today = timezone.localdate()
    facts = services.facts_of(groupement)
    members = list(groupement.members.select_related("commune"))
    # A member whose subscription ended keeps its answer, but is no longer reminded: say so (one query).
    enabled = set(communes_with_service(services.SERVICE).values_list("id", flat=True))
    for member in members:
        member.service_enabled = member.commune_id in enabled
    threshold_date = groupement.launch_date or today
    try:
        procedure = procedure_for(facts.total_value, threshold_date, groupement.threshold_nature)
        threshold_error = ""
    except ThresholdUnknown as error:
        procedure, threshold_error = None, str(error)
    shows_award = groupement.status in (S.CONSULTATION, S.ATTRIBUE, S.EXECUTION, S.CLOS)
    context = {
        "service": services.get_service(),
        "groupement": groupement,
        "facts": facts,
        "answer_rate": (facts.answered * 100 / facts.members) if facts.members else None,
        "transitions": rules.transitions(groupement, facts, today),
        "totals": services.article_totals(groupement),
        "members": members,
        "waiting": [m for m in members if not m.answered],
        "procedure": procedure,
        "threshold_date": threshold_date,
        "threshold_error": threshold_error,
        "article_form": ArticleForm(groupement=groupement) if groupement.status in (S.PROJET, S.CONVENTION) else None,
        "award_form": AwardForm(
            initial={
                "supplier": groupement.supplier,
                "siret": groupement.supplier_siret,
                "costs": groupement.procedure_costs,
                "cost_key": groupement.cost_key,
            }
        )
        if shows_award
        else None,
        "prices_form": PricesForm() if groupement.status == S.CONSULTATION else None,
        "allocation": services.allocation(groupement) if groupement.status in (S.ATTRIBUE, S.EXECUTION, S.CLOS) else [],
        "import_errors": [],
        "now": timezone.localtime(),
    }
    context.update(extra)
    return context


def detail(request, pk: int) -> HttpResponse:
    """The live aggregate: totals per article and per commune, who has not answered, the procedure it calls for."""
    groupement = get_object_or_404(Groupement, pk=pk)
    return render(request, "achats/community/groupement.html", _detail_context(groupement))


def aggregate(request, pk: int) -> HttpResponse:
    """The aggregate part of the page alone, which the page reloads while the census is open."""
    groupement = get_object_or_404(Groupement, pk=pk)
    return render(request, "achats/community/groupement.html#aggregate", _detail_context(groupement))


@require_POST
def change_status(request, pk: int) -> HttpResponse:
    groupement = get_object_or_404(Groupement, pk=pk)
    try:
        services.change_status(groupement, request.POST.get("status", ""), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        groupement.refresh_from_db()
        return render(request, "achats/community/groupement.html", _detail_context(groupement), status=400)
    messages.success(request, _("Statut du groupement mis à jour."))
    return redirect("achats:groupement", pk=pk)


@require_POST
def add_article(request, pk: int) -> HttpResponse:
    groupement = get_object_or_404(Groupement, pk=pk)
    if groupement.status not in (S.PROJET, S.CONVENTION):
        messages.error(request, _("Les articles ne se modifient plus une fois le recensement ouvert."))
        return redirect("achats:groupement", pk=pk)
    form = ArticleForm(request.POST, groupement=groupement)
    if form.is_valid():
        article = form.save(commit=False)
        article.groupement = groupement
        article.save()
        messages.success(request, _("Article ajouté."))
        return redirect("achats:groupement", pk=pk)
    context = _detail_context(groupement, article_form=form)
    return render(request, "achats/community/groupement.html", context, status=400)


@require_POST
def award(request, pk: int) -> HttpResponse:
    groupement = get_object_or_404(Groupement, pk=pk)
    if groupement.status not in (S.CONSULTATION, S.ATTRIBUE, S.EXECUTION):
        raise Http404(_("L'attribution se saisit pendant la consultation."))
    form = AwardForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        services.award(
            groupement,
            supplier=data["supplier"],
            siret=data["siret"],
            costs=data["costs"],
            cost_key=data["cost_key"],
            user=request.user,
        )
        messages.success(request, _("Attribution enregistrée."))
        return redirect("achats:groupement", pk=pk)
    context = _detail_context(groupement, award_form=form)
    return render(request, "achats/community/groupement.html", context, status=400)


@require_POST
def import_prices(request, pk: int) -> HttpResponse:
    """Upload the awarded price schedule: every line is checked first; one error and nothing is imported."""
    groupement = get_object_or_404(Groupement, pk=pk)
    if groupement.status != S.CONSULTATION:
        messages.error(request, _("Le bordereau des prix s'importe pendant la consultation."))
        return redirect("achats:groupement", pk=pk)
    form = PricesForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            count = imports.import_prices(groupement, upload.read(), upload.name, user=request.user)
        except ImportFailed as failure:
            errors = failure.errors
        else:
            messages.success(request, _("%(count)d prix unitaire(s) importé(s).") % {"count": count})
            return redirect("achats:groupement", pk=pk)
    context = _detail_context(groupement, prices_form=form, import_errors=errors)
    return render(request, "achats/community/groupement.html", context, status=400)


def export_needs(request, pk: int, format: str) -> HttpResponse:
    """Every member's needs, one line per commune and article (public summary, one query)."""
    if format not in EXPORT_FORMATS:
        raise Http404(_("Format d'export inconnu."))
    groupement = get_object_or_404(Groupement, pk=pk)
    rows = (
        [
            need.commune.insee_code,
            need.commune.name,
            need.article.lot,
            need.article.code,
            need.article.label,
            need.article.unit,
            need.quantity,
            need.estimated_value,
            need.ordered_quantity,
        ]
        for need in NeedSummary.objects.filter(groupement=groupement)
        .select_related("commune", "article")
        .order_by("commune__name", "article__lot", "article__code")
    )
    header = [
        _("Code INSEE"),
        _("Commune"),
        _("Lot"),
        _("Code"),
        _("Article"),
        _("Unité"),
        _("Quantité estimée"),
        _("Valeur estimée (€ HT)"),
        _("Quantité commandée"),
    ]
    return table_response(request, f"besoins-groupement-{pk}", header, rows, format=format, service="achats")


def allocation_statement(request, pk: int, insee: str) -> HttpResponse:
    """One member's allocation statement, as a PDF."""
    from mutualise import audit
    from plugins.achats.pdf import allocation_statement as render_pdf
    from plugins.achats.views import pdf_response

    groupement = get_object_or_404(Groupement, pk=pk)
    if groupement.status not in (S.ATTRIBUE, S.EXECUTION, S.CLOS):
        raise Http404(_("La répartition est établie une fois le marché attribué."))
    line = next((x for x in services.allocation(groupement) if x["commune"].insee_code == insee), None)
    if line is None:
        raise Http404(_("Cette commune n'a pas de besoin dans ce groupement."))
    return pdf_response(request, groupement, line, render_pdf, audit)


def deliberation_document(request, pk: int, insee: str) -> HttpResponse:
    """A member's deliberation, read from that commune's own storage."""
    from django_tenants.utils import schema_context

    from mutualise.files import file_response
    from plugins.achats.models import Answer

    member = get_object_or_404(Member.objects.select_related("commune"), groupement_id=pk, commune__insee_code=insee)
    with schema_context(member.commune.schema_name):
        answer = Answer.objects.filter(groupement_id=pk).first()
        if answer is None or not answer.deliberation_file:
            raise Http404(_("Aucune délibération déposée."))
        return file_response(answer.deliberation_file.storage, answer.deliberation_file.name)


def widget(request) -> HttpResponse:
    """The console card: open censuses and their answer rate."""
    open_ones = with_answer_rates(Groupement.objects.filter(status=S.RECENSEMENT)).order_by("deadline")
    return render(request, "achats/community/widget.html", {"groupements": open_ones})
