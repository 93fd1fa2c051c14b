"""Console pages for people and their roles (mounted under ``/utilisateurs/`` on the community host)."""

urlpatterns: list = []
