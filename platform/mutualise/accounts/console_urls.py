"""Console pages for people and their roles (mounted under ``/utilisateurs/`` on the community host).

Every route is for community administrators only (``Policy.ADMIN``, declared on each view in ``console.py``).
"""

from django.urls import path

from mutualise.accounts import console

urlpatterns = [
    path("", console.people, name="people"),
    path("inviter/", console.invite, name="people_invite"),
    path("invitations/", console.invitation_list, name="people_invitations"),
    path("invitations/<int:pk>/renvoyer/", console.invitation_resend, name="people_invitation_resend"),
    path("invitations/<int:pk>/annuler/", console.invitation_cancel, name="people_invitation_cancel"),
    path("<int:pk>/", console.person, name="person"),
    path("<int:pk>/communes/", console.set_commune_role, name="person_commune_role"),
    path("<int:pk>/communes/<int:commune_id>/retirer/", console.remove_commune_role, name="person_commune_remove"),
    path("<int:pk>/services/", console.set_service_role, name="person_service_role"),
    path("<int:pk>/services/<slug:service>/retirer/", console.remove_service_role, name="person_service_remove"),
    path("<int:pk>/administrateur/", console.set_admin, name="person_admin"),
    path("<int:pk>/activation/", console.set_active, name="person_active"),
]
