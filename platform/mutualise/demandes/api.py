"""The demandes API: a commune's demandes and their thread (commune-bound token), the agents' queue (community)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from mutualise.access import Policy
from mutualise.demandes import services
from mutualise.demandes.models import Demande, Message
from mutualise.demandes.rules import OPEN_STATUSES, Level, Status
from mutualise.demandes.views import visible_services
from mutualise.models import DemandeIndex
from mutualise.plugins import get_registry


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = Message
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class DemandeSerializer(serializers.ModelSerializer):
    # The installed services, so that the schema lists them; whether the commune subscribes is checked on create.
    service = serializers.ChoiceField(choices=[(s.slug, s.label) for s in get_registry()])
    kind = serializers.CharField(max_length=32, help_text="Type de demande du service (incident, demande…).")
    urgency = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)
    impact = serializers.ChoiceField(choices=Level.choices, default=Level.MEDIUM)

    class Meta:
        model = Demande
        fields = [
            "id",
            "service",
            "kind",
            "category",
            "title",
            "description",
            "urgency",
            "impact",
            "priority",
            "status",
            "created_at",
            "taken_at",
            "solved_at",
            "take_charge_due",
            "resolve_due",
        ]
        read_only_fields = [
            "id",
            "priority",
            "status",
            "created_at",
            "taken_at",
            "solved_at",
            "take_charge_due",
            "resolve_due",
        ]


def _as_drf_error(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


DEMANDE_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Numéro de la demande.")
NEW_DEMANDE = OpenApiExample(
    "Incident informatique",
    value={
        "service": "informatique",
        "kind": "incident",
        "title": "Imprimante de l'accueil en panne",
        "description": "Plus rien ne sort depuis ce matin.",
        "urgency": 4,
        "impact": 3,
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="Les demandes de la commune"),
    retrieve=extend_schema(summary="Une demande", parameters=[DEMANDE_ID]),
    create=extend_schema(summary="Ouvrir une demande", examples=[NEW_DEMANDE]),
)
class DemandeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The demandes of the commune of the host, for the services this person may see."""

    access_policy = Policy.SPACE
    serializer_class = DemandeSerializer

    def get_queryset(self):
        slugs = [s.slug for s in visible_services(self.request._request)]
        return Demande.objects.filter(service__in=slugs).order_by("-created_at")

    def perform_create(self, serializer):
        if serializer.validated_data["service"] not in {s.slug for s in visible_services(self.request._request)}:
            raise ValidationError({"service": ["La commune ne souscrit pas à ce service."]})
        try:
            serializer.instance = services.create(
                self.request._request.commune, requester=self.request.user, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None

    @extend_schema(
        methods=["GET"], summary="Le fil de la demande", parameters=[DEMANDE_ID], responses=MessageSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        summary="Écrire dans le fil",
        parameters=[DEMANDE_ID],
        request=MessageSerializer,
        responses={201: MessageSerializer},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=MessageSerializer, pagination_class=None)
    def messages(self, request, pk=None):
        """The thread seen by the commune (internal notes left out); POST adds a message."""
        demande = self.get_object()
        if request.method == "POST":
            serializer = MessageSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            message = services.add_message(
                request._request.commune,
                demande,
                author=request.user,
                body=serializer.validated_data["body"],
                from_commune=True,
            )
            return Response(MessageSerializer(message).data, status=201)
        return Response(MessageSerializer(demande.messages.filter(internal=False), many=True).data)


class QueueSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune.insee_code")
    commune_name = serializers.CharField(source="commune.name")
    assignee = serializers.StringRelatedField()
    late = serializers.SerializerMethodField()

    class Meta:
        model = DemandeIndex
        fields = [
            "commune",
            "commune_name",
            "demande_id",
            "service",
            "kind",
            "category",
            "title",
            "status",
            "priority",
            "assignee",
            "created_at",
            "taken_at",
            "solved_at",
            "take_charge_due",
            "resolve_due",
            "due_at",
            "late",
        ]

    def get_late(self, row) -> bool:
        return row.due_at is not None and row.due_at < timezone.now()


QUEUE_FILTERS = [
    OpenApiParameter("service", str, description="Code d'un service (informatique, juridique…)."),
    OpenApiParameter("commune", str, description="Code INSEE d'une commune."),
    OpenApiParameter(
        "status",
        str,
        enum=sorted([*Status.values, "toutes"]),
        description="Un statut ; « toutes » pour toutes ; sans ce paramètre, les demandes ouvertes.",
    ),
    OpenApiParameter("priority", int, description="Priorité, de 1 (critique) à 5."),
]


@extend_schema_view(
    list=extend_schema(summary="La file des agents, toutes communes", parameters=QUEUE_FILTERS),
    retrieve=extend_schema(
        summary="Une ligne de la file",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Numéro de ligne.")],
    ),
)
class QueueViewSet(viewsets.ReadOnlyModelViewSet):
    """The agents' queue across communes, read from the public index: ``?service=&commune=&status=&priority=``."""

    access_policy = Policy.SPACE
    serializer_class = QueueSerializer

    def get_queryset(self):
        rows = DemandeIndex.objects.filter(
            service__in=[s.slug for s in visible_services(self.request._request)]
        ).select_related("commune", "assignee")
        params = self.request.query_params
        if params.get("service"):
            rows = rows.filter(service=params["service"])
        if params.get("commune"):
            rows = rows.filter(commune__insee_code=params["commune"])
        status = params.get("status")
        rows = (
            rows.filter(status__in=OPEN_STATUSES)
            if not status
            else rows
            if status == "toutes"
            else rows.filter(status=status)
        )
        if params.get("priority", "").isdigit():
            rows = rows.filter(priority=int(params["priority"]))
        return rows.order_by("due_at", "priority", "created_at", "id")

    def paginate_queryset(self, queryset):
        """As the console's page: the page's rows chosen on the index's own columns, then only they joined."""
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True))
        if ids is None:
            return None
        rows = DemandeIndex.objects.select_related("commune", "assignee").in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]  # a demande removed meanwhile is left out

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
