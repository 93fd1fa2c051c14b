from django.db import models


class Note(models.Model):
    text = models.CharField("texte", max_length=200)
    attachment = models.FileField("pièce jointe", upload_to="exemple/", blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text
