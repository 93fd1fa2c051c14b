"""The person's own pages, the acceptance of an invitation, and a commune's people for its référents.

Included by ``accounts/urls.py``, hence on every host; the commune pages answer 404 on the console's host.
"""

from django.urls import path

from mutualise.accounts import commune_people, profile

urlpatterns = [
    path("compte/", profile.profile, name="profile"),
    path("compte/mot-de-passe/", profile.password_change, name="profile_password"),
    path("compte/notifications/", profile.notifications, name="profile_notifications"),
    path("invitation/<str:token>/", profile.accept_invitation, name="invitation_accept"),
    path("commune/utilisateurs/", commune_people.people, name="commune_people"),
    path("commune/utilisateurs/inviter/", commune_people.invite, name="commune_people_invite"),
    path("commune/utilisateurs/<int:pk>/role/", commune_people.change_role, name="commune_people_role"),
    path("commune/utilisateurs/<int:pk>/retirer/", commune_people.remove, name="commune_people_remove"),
    path(
        "commune/utilisateurs/invitations/<int:pk>/renvoyer/",
        commune_people.invitation_resend,
        name="commune_invitation_resend",
    ),
    path(
        "commune/utilisateurs/invitations/<int:pk>/annuler/",
        commune_people.invitation_cancel,
        name="commune_invitation_cancel",
    ),
]
