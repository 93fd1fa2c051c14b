from django.http import HttpResponse
from rest_framework import serializers, viewsets

from mutualise_exemple.models import Note


def index(request):
    texts = ", ".join(Note.objects.values_list("text", flat=True))
    return HttpResponse(f"Notes de la commune : {texts or 'aucune'}")


def export(request):
    from mutualise.exports import csv_response

    rows = Note.objects.values_list("id", "text")
    return csv_response(request, "notes.csv", ["Numéro", "Texte"], rows, service="exemple")


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "text"]


class NoteViewSet(viewsets.ModelViewSet):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
