"""The Groupements d'achats API: a commune's campaigns and its needs (commune-bound token); the coordinator's view."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q, Sum
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from mutualise.access import Policy
from plugins.achats import services
from plugins.achats.coordination.models import Article, Groupement, NeedSummary
from plugins.achats.models import Need


class ArticleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "code", "lot", "label", "unit", "previous_price", "awarded_price"]


class GroupementSerializer(serializers.ModelSerializer):
    articles = ArticleSerializer(many=True, read_only=True)

    class Meta:
        model = Groupement
        fields = [
            "id",
            "title",
            "category",
            "kind",
            "nature",
            "status",
            "deadline",
            "duration_months",
            "launch_date",
            "supplier",
            "awarded_on",
            "articles",
        ]


class CommuneGroupementViewSet(viewsets.ReadOnlyModelViewSet):
    """The campaigns the commune of the host is invited to."""

    access_policy = Policy.SERVICE
    serializer_class = GroupementSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema is built without a commune
            return Groupement.objects.none()
        return (
            Groupement.objects.filter(members__commune=self.request._request.commune)
            .exclude(status=Groupement.Status.PROJET)
            .prefetch_related("articles")
            .order_by("-created_at", "-id")
        )


class NeedSerializer(serializers.ModelSerializer):
    groupement = serializers.IntegerField(source="answer.groupement_id")
    article = serializers.IntegerField(source="article_id")
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    estimated_value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)

    class Meta:
        model = Need
        fields = ["id", "groupement", "article", "quantity", "estimated_value"]
        read_only_fields = ["id"]


class CommuneNeedViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The commune's needs (its own schema only): ``?groupement=``; POST records one article's need."""

    access_policy = Policy.SERVICE
    serializer_class = NeedSerializer

    def get_queryset(self):
        needs = Need.objects.select_related("answer").order_by("answer__groupement_id", "article_id")
        groupement = self.request.query_params.get("groupement", "")
        return needs.filter(answer__groupement_id=int(groupement)) if groupement.isdigit() else needs

    def perform_create(self, serializer):
        data = serializer.validated_data
        commune = self.request._request.commune
        member = services.member_of(commune, data["answer"]["groupement_id"])
        if member is None:
            raise NotFound("Groupement introuvable.")
        article = data["article_id"]
        values = {f"q_{article}": str(data["quantity"]), f"v_{article}": str(data["estimated_value"])}
        if not member.groupement.articles.filter(pk=article).exists():
            raise ValidationError({"article": ["Cet article n'appartient pas au groupement."]})
        try:
            services.save_answer(commune, member, values, user=self.request.user)
        except DjangoValidationError as error:
            if getattr(error, "code", "") == "recensement_clos":
                raise PermissionDenied(" ".join(error.messages), code="recensement_clos") from None
            raise ValidationError({"detail": error.messages}) from None
        serializer.instance = Need.objects.select_related("answer").get(
            answer__groupement_id=member.groupement_id, article_id=article
        )


class CommunityGroupementSerializer(GroupementSerializer):
    members = serializers.IntegerField(source="member_count", read_only=True)
    answered = serializers.IntegerField(source="answered_count", read_only=True)
    total_value = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta(GroupementSerializer.Meta):
        fields = [*GroupementSerializer.Meta.fields, "members", "answered", "total_value"]


class CommunityGroupementViewSet(viewsets.ReadOnlyModelViewSet):
    """Every groupement, with its members, how many answered and the estimated value (public schema)."""

    access_policy = Policy.SERVICE
    serializer_class = CommunityGroupementSerializer

    def get_queryset(self):
        return (
            Groupement.objects.annotate(
                member_count=Count("members", distinct=True),
                answered_count=Count("members", filter=Q(members__answered_at__isnull=False), distinct=True),
                total_value=Sum("members__total_value"),
            )
            .prefetch_related("articles")
            .order_by("-created_at", "-id")
        )


class NeedSummarySerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune.insee_code")
    commune_name = serializers.CharField(source="commune.name")
    article_code = serializers.CharField(source="article.code")

    class Meta:
        model = NeedSummary
        fields = [
            "id",
            "groupement",
            "commune",
            "commune_name",
            "article",
            "article_code",
            "quantity",
            "estimated_value",
            "ordered_quantity",
        ]


class CommunityNeedViewSet(viewsets.ReadOnlyModelViewSet):
    """Every member's needs, from the public summary: ``?groupement=&commune=<INSEE>``."""

    access_policy = Policy.SERVICE
    serializer_class = NeedSummarySerializer

    def get_queryset(self):
        rows = NeedSummary.objects.select_related("commune", "article").order_by("groupement_id", "commune__name", "id")
        params = self.request.query_params
        if params.get("groupement", "").isdigit():
            rows = rows.filter(groupement_id=int(params["groupement"]))
        if params.get("commune"):
            rows = rows.filter(commune__insee_code=params["commune"])
        return rows
