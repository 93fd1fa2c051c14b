"""Commune side of the Groupements d'achats: the campaigns the commune is invited to, and its answer to each."""

from __future__ import annotations

import os
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mutualise.exports import table_response
from mutualise.files import file_response
from mutualise.views import ServiceLandingView
from plugins.achats import rules, services
from plugins.achats.coordination.models import Groupement, Member
from plugins.achats.models import Answer, Need, Order

S = Groupement.Status
EXPORT_FORMATS = {"excel", "csv", "xlsx"}
ALLOWED_DOCUMENTS = {".pdf", ".jpg", ".jpeg", ".png"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def my_memberships(commune):
    """The groupements the commune is invited to (once the convention is out), newest first: one query."""
    return (
        Member.objects.filter(commune=commune)
        .exclude(groupement__status=S.PROJET)
        .select_related("groupement")
        .order_by("-groupement__created_at", "-groupement_id")
    )


class IndexView(ServiceLandingView):
    def get_context_data(self, **kwargs):
        return super().get_context_data(memberships=my_memberships(self.request.commune), **kwargs)


def _member_or_404(request, pk: int) -> Member:
    member = services.member_of(request.commune, pk)
    if member is None:
        raise Http404(_("Groupement introuvable."))
    return member


def _answer_context(request, member: Member, errors: dict | None = None, posted: dict | None = None) -> dict:
    groupement = member.groupement
    answer = Answer.objects.filter(groupement_id=groupement.pk).first()
    needs = {n.article_id: n for n in Need.objects.filter(answer=answer)} if answer else {}
    today = timezone.localdate()
    posted = posted or {}
    errors = errors or {}
    lines = []
    articles = {article.pk: article for article in groupement.articles.all()}
    for article in articles.values():
        need = needs.get(article.pk)
        lines.append(
            {
                "article": article,
                "q_name": f"q_{article.pk}",
                "v_name": f"v_{article.pk}",
                "quantity": posted.get(f"q_{article.pk}", need.quantity if need else ""),
                "value": posted.get(f"v_{article.pk}", need.estimated_value if need else ""),
                "q_errors": errors.get(f"q_{article.pk}", []),
                "v_errors": errors.get(f"v_{article.pk}", []),
            }
        )
    return {
        "service": services.get_service(),
        "member": member,
        "groupement": groupement,
        "answer": answer,
        "lines": lines,
        "census_refusal": rules.census_refusal(groupement, today),
        "deliberation_refusal": rules.deliberation_refusal(groupement, today),
        "errors": errors,
        "posted": posted,
        "document_form": DocumentForm(),
        "orders": [
            (order, articles.get(order.article_id)) for order in Order.objects.filter(groupement_id=groupement.pk)[:50]
        ],
        "order_form": OrderForm(groupement=groupement) if groupement.status in (S.ATTRIBUE, S.EXECUTION) else None,
    }


def groupement_detail(request, pk: int) -> HttpResponse:
    """The campaign and the commune's answer; POST saves the answer (the whole form, or one field through htmx)."""
    member = _member_or_404(request, pk)
    if request.method != "POST":
        return render(request, "achats/groupement.html", _answer_context(request, member))
    values = {name: value for name, value in request.POST.items() if name != "csrfmiddlewaretoken"}
    try:
        saved = services.save_answer(request.commune, member, values, user=request.user)
    except ValidationError as error:
        if request.htmx:
            # The status next to the field says what is wrong; htmx only swaps successful responses.
            text = " ".join(error.messages)
            return render(request, "achats/_saved.html", {"error": text})
        errors = error.message_dict if hasattr(error, "error_dict") else {"general": error.messages}
        status = 403 if getattr(error, "code", "") == "recensement_clos" else 400
        context = _answer_context(request, member, errors=errors, posted=values)
        return render(request, "achats/groupement.html", context, status=status)
    if request.htmx:
        return render(request, "achats/_saved.html", {"saved": saved})
    messages.success(request, _("Réponse enregistrée."))
    return redirect("achats:groupement", pk=pk)


class DocumentForm(forms.Form):
    document = forms.FileField(
        label=gettext_lazy("Délibération signée (PDF, JPEG ou PNG, 10 Mo au plus)"),
    )

    def clean_document(self):
        document = self.cleaned_data["document"]
        if os.path.splitext(document.name)[1].lower() not in ALLOWED_DOCUMENTS:
            raise ValidationError(_("Format accepté : PDF, JPEG ou PNG."))
        if document.size > MAX_DOCUMENT_BYTES:
            raise ValidationError(_("Le document dépasse 10 Mo."))
        return document


@require_POST
def upload_deliberation(request, pk: int) -> HttpResponse:
    """Store the signed deliberation in the commune's own storage."""
    member = _member_or_404(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_deliberation(request.commune, member, form.cleaned_data["document"], user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            context = _answer_context(request, member)
            return render(request, "achats/groupement.html", context, status=403)
        messages.success(request, _("Délibération déposée."))
        return redirect("achats:groupement", pk=pk)
    context = _answer_context(request, member)
    context["document_form"] = form
    return render(request, "achats/groupement.html", context, status=400)


def deliberation_document(request, pk: int) -> HttpResponse:
    """The commune's deliberation document, from its own storage."""
    _member_or_404(request, pk)
    answer = Answer.objects.filter(groupement_id=pk).first()
    if answer is None or not answer.deliberation_file:
        raise Http404(_("Aucune délibération déposée."))
    return file_response(answer.deliberation_file.storage, answer.deliberation_file.name)


def export_needs(request, pk: int, format: str) -> HttpResponse:
    """The commune's needs for the groupement, as a table."""
    if format not in EXPORT_FORMATS:
        raise Http404(_("Format d'export inconnu."))
    member = _member_or_404(request, pk)
    needs = {n.article_id: n for n in Need.objects.filter(answer__groupement_id=pk)}
    rows = []
    for article in member.groupement.articles.all():
        need = needs.get(article.pk)
        rows.append(
            [
                article.lot,
                article.code,
                article.label,
                article.unit,
                need.quantity if need else Decimal(0),
                need.estimated_value if need else Decimal(0),
            ]
        )
    header = [_("Lot"), _("Code"), _("Article"), _("Unité"), _("Quantité estimée"), _("Valeur estimée (€ HT)")]
    return table_response(
        request, f"besoins-{request.commune.slug}-groupement-{pk}", header, rows, format=format, service="achats"
    )


def allocation_statement(request, pk: int) -> HttpResponse:
    """The commune's allocation statement (PDF), once the groupement is awarded."""
    from mutualise import audit
    from plugins.achats.pdf import allocation_statement as render_pdf

    member = _member_or_404(request, pk)
    groupement = member.groupement
    if groupement.status not in (S.ATTRIBUE, S.EXECUTION, S.CLOS):
        raise Http404(_("La répartition est établie une fois le marché attribué."))
    line = next((x for x in services.allocation(groupement) if x["commune"].pk == request.commune.pk), None)
    if line is None:
        raise Http404(_("La commune n'a pas exprimé de besoin dans ce groupement."))
    return pdf_response(request, groupement, line, render_pdf, audit)


def pdf_response(request, groupement, line, render_pdf, audit) -> HttpResponse:
    """The statement as a download, audited with the commune it is about."""
    from tenants import resolution

    content = render_pdf(groupement, line, str(resolution.instance_name()))
    filename = f"repartition-{line['commune'].slug}-groupement-{groupement.pk}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    audit.record(
        "export",
        commune=line["commune"],
        service="achats",
        target=filename,
        after={"format": "pdf", "octets": len(content)},
    )
    return response


class OrderForm(forms.Form):
    article = forms.TypedChoiceField(label=gettext_lazy("Article"), coerce=int)
    date = forms.DateField(label=gettext_lazy("Date de la commande (JJ/MM/AAAA)"))
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantité"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    reference = forms.CharField(label=gettext_lazy("Référence du bon de commande"), max_length=50, required=False)

    def __init__(self, *args, groupement, **kwargs):
        super().__init__(*args, **kwargs)
        self.articles = {a.pk: a for a in groupement.articles.all()}
        self.fields["article"].choices = [(pk, str(a)) for pk, a in self.articles.items()]


@require_POST
def record_order(request, pk: int) -> HttpResponse:
    """Record an order (or a consumption) against an awarded article."""
    member = _member_or_404(request, pk)
    form = OrderForm(request.POST, groupement=member.groupement)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_order(
                request.commune,
                member,
                article=form.articles[data["article"]],
                date=data["date"],
                quantity=data["quantity"],
                reference=data["reference"],
                user=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("achats:groupement", pk=pk)
        messages.success(request, _("Commande enregistrée."))
        return redirect("achats:groupement", pk=pk)
    context = _answer_context(request, member)
    context["order_form"] = form
    return render(request, "achats/groupement.html", context, status=400)


def widget(request) -> HttpResponse:
    """The dashboard card: campaigns awaiting the commune's answer."""
    today = timezone.localdate()
    waiting = [
        m
        for m in my_memberships(request.commune).filter(
            groupement__status=S.RECENSEMENT, groupement__deadline__gte=today, answered_at__isnull=True
        )
    ]
    return render(request, "achats/widget.html", {"waiting": waiting})
