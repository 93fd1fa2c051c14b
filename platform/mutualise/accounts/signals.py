"""What the accounts app records as it happens: the session's host at login, and the audit trail."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from mutualise import audit
from mutualise.accounts.models import CommuneMembership, ServiceMembership, User
from mutualise.accounts.sessions import bind_session


def _commune(request):
    return getattr(request, "commune", None) if request is not None else None


def _host(request) -> str:
    return request.META.get("HTTP_HOST", "") if request is not None else ""


@receiver(user_logged_in, dispatch_uid="mutualise-login")
def on_login(sender, request, user, **kwargs) -> None:
    if request is not None and _host(request):
        bind_session(request.session, _host(request))
    audit.record("connexion", actor=user, commune=_commune(request), target=_host(request))


@receiver(user_logged_out, dispatch_uid="mutualise-logout")
def on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record("deconnexion", actor=user, commune=_commune(request), target=_host(request))


@receiver(user_login_failed, dispatch_uid="mutualise-login-failed")
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password in ``credentials``; keep only the address that was tried.
    tried = str(credentials.get("username") or credentials.get("email") or "")[:254]
    audit.record("connexion.echec", commune=_commune(request), target=tried, after={"hote": _host(request)})


def _actor(instance):
    """Who made the change, when code acting for someone else set it on the instance (an invitation accepted on
    behalf of the person who sent it); else ``None``: the request's user, as ``audit.record`` does by default."""
    return getattr(instance, "_audit_actor", None)


def _reason(instance) -> str:
    return getattr(instance, "_audit_reason", "")


@receiver(pre_save, sender=CommuneMembership, dispatch_uid="mutualise-commune-role-before")
@receiver(pre_save, sender=ServiceMembership, dispatch_uid="mutualise-service-role-before")
def on_role_saving(sender, instance, **kwargs) -> None:
    # The role it had, so that a change is recorded with its "before".
    if instance.pk is not None:
        instance._role_before = sender.objects.filter(pk=instance.pk).values_list("role", flat=True).first()


@receiver(post_save, sender=CommuneMembership, dispatch_uid="mutualise-commune-role-saved")
@receiver(post_save, sender=ServiceMembership, dispatch_uid="mutualise-service-role-saved")
def on_role_saved(sender, instance, created, **kwargs) -> None:
    before = getattr(instance, "_role_before", None)
    audit.record(
        "role.attribue" if created else "role.modifie",
        actor=_actor(instance),
        commune=getattr(instance, "commune", None),
        service=getattr(instance, "service", ""),
        target=instance.user.email,
        before={"role": before} if not created and before is not None else None,
        after={"role": instance.role},
        reason=_reason(instance),
    )
    instance.__dict__.pop("_role_before", None)


@receiver(post_delete, sender=CommuneMembership, dispatch_uid="mutualise-commune-role-deleted")
@receiver(post_delete, sender=ServiceMembership, dispatch_uid="mutualise-service-role-deleted")
def on_role_deleted(sender, instance, **kwargs) -> None:
    audit.record(
        "role.retire",
        actor=_actor(instance),
        commune=getattr(instance, "commune", None),
        service=getattr(instance, "service", ""),
        target=instance.user.email,
        before={"role": instance.role},
        reason=_reason(instance),
    )


@receiver(pre_save, sender=User, dispatch_uid="mutualise-admin-flag")
def on_admin_flag(sender, instance, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "is_staff" not in update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values_list("is_staff", flat=True).first()
    if before is not None and before != instance.is_staff:
        audit.record(
            "role.administrateur",
            actor=_actor(instance),
            target=instance.email,
            before={"administrateur": before},
            after={"administrateur": instance.is_staff},
            reason=_reason(instance),
        )
