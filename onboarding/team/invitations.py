"""Invitations to an association's team, by e-mail with a role. Schema: public.

A token is single-use and only its hash is stored; it expires after 7 days; resending
makes a new token (the old link dies); revoking ends it. A pending invitation holds a
seat of the plan (billing.selectors.seats_used), checked under a lock on the association.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from billing.selectors import plan_of, seats_used
from billing.services import subscription_seats_changed
from onboarding import emails
from onboarding.models import Invitation
from onboarding.services.signup import _email, _name, password_check
from onboarding.services.tokens import token_hash, token_new
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Association, Membership, Role, User
from tenants.tenancy.services import audit, membership_create, site_url

INVITATION_VALIDITY = timedelta(days=7)


def _lock_association(association: Association) -> None:
    """Serialise the seat checks of one association."""
    Association.objects.select_for_update().filter(pk=association.pk).first()


def seat_check(association: Association, *, adding: int = 1) -> None:
    plan = plan_of(association)
    used = seats_used(association)
    if used + adding > plan.seat_limit:
        raise ApplicationError(
            _("Votre offre %(plan)s compte %(limit)d places et %(used)d sont occupées "
              "(membres actifs et invitations en attente). Choisissez une offre plus grande, "
              "révoquez une invitation ou désactivez un membre.")
            % {"plan": plan.name, "limit": plan.seat_limit, "used": used},
            code=ErrorCode.SEAT_LIMIT,
        )


def _role(role: str) -> str:
    if role not in Role.values:
        raise ApplicationError(_("Le rôle « %(role)s » n'existe pas.") % {"role": role},
                               code=ErrorCode.ROLE_INVALID, field="role")
    return role


def _send(invitation: Invitation, raw: str, actor: User) -> None:
    link = site_url(settings.BASE_DOMAIN, reverse("invitation_accept", args=[raw],
                                                    urlconf=settings.PUBLIC_SCHEMA_URLCONF))
    language = get_language() or "fr"
    context = {"invitation": invitation, "association": invitation.association,
               "inviter": actor, "link": link, "role": invitation.get_role_display(),
               "days": INVITATION_VALIDITY.days}
    transaction.on_commit(lambda: emails.send("invitation", to=invitation.email,
                                              context=context, language=language))


def invitation_create(
    *, actor: User, association: Association, email: str, role: str
) -> Invitation:
    email = _email(email)
    role = _role(role)
    now = timezone.now()
    with transaction.atomic():
        _lock_association(association)
        if Membership.objects.filter(association=association, user__email__iexact=email,
                                     is_active=True).exists():
            raise ApplicationError(
                _("%(email)s fait déjà partie de l'équipe.") % {"email": email},
                code=ErrorCode.MEMBERSHIP_EXISTS, field="email")
        open_ones = Invitation.objects.select_for_update().filter(
            association=association, email__iexact=email, accepted_at__isnull=True,
            revoked_at__isnull=True)
        for previous in open_ones:
            if previous.expires_at > now:
                raise ApplicationError(
                    _("%(email)s a déjà une invitation en attente : renvoyez-la plutôt.")
                    % {"email": email}, code=ErrorCode.INVITATION_PENDING, field="email")
            # An expired one is replaced by the new invitation.
            previous.revoked_at, previous.revoked_by = now, actor
            previous.save(update_fields=["revoked_at", "revoked_by"])
        seat_check(association)
        raw, hashed = token_new()
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    association=association, email=email, role=role, token_hash=hashed,
                    invited_by=actor, sent_at=now, expires_at=now + INVITATION_VALIDITY)
        except IntegrityError:
            raise ApplicationError(
                _("%(email)s a déjà une invitation en attente : renvoyez-la plutôt.")
                % {"email": email}, code=ErrorCode.INVITATION_PENDING, field="email") from None
        audit("invitation.created", actor=actor, association=association,
              invitation_id=invitation.pk, email=email, role=role)
        _send(invitation, raw, actor)
    return invitation


def invitation_resend(*, actor: User, invitation: Invitation) -> Invitation:
    """A new link valid 7 days; the previous link dies. An expired invitation comes back
    to life, so it needs a free seat again."""
    now = timezone.now()
    with transaction.atomic():
        _lock_association(invitation.association)
        locked = Invitation.objects.select_for_update().select_related("association").get(
            pk=invitation.pk)
        state = locked.state(now)
        if state in ("accepted", "revoked"):
            raise ApplicationError(
                _("Cette invitation a déjà été acceptée.") if state == "accepted"
                else _("Cette invitation a été révoquée : invitez de nouveau la personne."),
                code=ErrorCode.INVITATION_USED if state == "accepted"
                else ErrorCode.INVITATION_REVOKED)
        if state == "expired":
            seat_check(locked.association)
        raw, hashed = token_new()
        locked.token_hash, locked.sent_at = hashed, now
        locked.expires_at = now + INVITATION_VALIDITY
        locked.send_count += 1
        locked.save(update_fields=["token_hash", "sent_at", "expires_at", "send_count"])
        audit("invitation.resent", actor=actor, association=locked.association,
              invitation_id=locked.pk)
        _send(locked, raw, actor)
    return locked


def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None:
            raise ApplicationError(
                _("Cette invitation a déjà été acceptée : désactivez plutôt le membre."),
                code=ErrorCode.INVITATION_USED)
        if locked.revoked_at is None:
            locked.revoked_at, locked.revoked_by = timezone.now(), actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
            audit("invitation.revoked", actor=actor, association=locked.association,
                  invitation_id=locked.pk)
    return locked


def invitation_for_token(*, token: str) -> Invitation:
    """The invitation a link names, if it may still be accepted; otherwise a clear
    refusal (unknown, already used, revoked, expired)."""
    invitation = (Invitation.objects.select_related("association", "invited_by")
                  .filter(token_hash=token_hash(token)).first())
    if invitation is None:
        raise ApplicationError(
            _("Ce lien d'invitation n'est pas valable : il a peut-être été remplacé par un "
              "lien plus récent. Demandez à l'association de vous renvoyer l'invitation."),
            code=ErrorCode.INVITATION_INVALID)
    state = invitation.state()
    if state == "accepted":
        raise ApplicationError(
            _("Cette invitation a déjà été acceptée. Connectez-vous à l'espace de "
              "l'association."), code=ErrorCode.INVITATION_USED)
    if state == "revoked":
        raise ApplicationError(
            _("Cette invitation a été annulée par l'association."),
            code=ErrorCode.INVITATION_REVOKED)
    if state == "expired" or not invitation.association.is_active:
        raise ApplicationError(
            _("Cette invitation a expiré (elle était valable %(days)d jours). Demandez à "
              "l'association de vous la renvoyer.") % {"days": INVITATION_VALIDITY.days},
            code=ErrorCode.INVITATION_EXPIRED)
    return invitation


def invitation_accept(
    *, token: str, user: User | None, display_name: str = "", password: str = ""
) -> tuple[Invitation, User]:
    """Join the team. A signed-in person must be the invited address; otherwise an
    account is created (name and password) — unless one exists, then they sign in first."""
    with transaction.atomic():
        found = invitation_for_token(token=token)
        invitation = Invitation.objects.select_for_update().select_related(
            "association").get(pk=found.pk)
        if invitation.state() != "pending":
            invitation_for_token(token=token)  # raises the precise refusal
        if user is not None and user.is_authenticated:
            if user.email.lower() != invitation.email.lower():
                raise ApplicationError(
                    _("Cette invitation a été envoyée à %(invited)s, et vous êtes connecté·e "
                      "en tant que %(current)s. Déconnectez-vous, puis ouvrez de nouveau le "
                      "lien.") % {"invited": invitation.email, "current": user.email},
                    code=ErrorCode.INVITATION_WRONG_ACCOUNT)
            member = user
        else:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise ApplicationError(
                    _("Un compte existe déjà pour %(email)s : connectez-vous pour accepter "
                      "l'invitation.") % {"email": invitation.email},
                    code=ErrorCode.INVITATION_WRONG_ACCOUNT)
            name = _name(display_name, field="display_name", low=2, high=150,
                         message=_("Indiquez votre nom (2 à 150 caractères)."))
            password_check(password, email=invitation.email, name=name)
            member = User.objects.create_user(invitation.email, password=password,
                                              display_name=name)
        membership_create(actor=member, association=invitation.association, user=member,
                          role=invitation.role)
        invitation.accepted_at, invitation.accepted_by = timezone.now(), member
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit("invitation.accepted", actor=member, association=invitation.association,
              invitation_id=invitation.pk, role=invitation.role)
        subscription_seats_changed(association=invitation.association)
    return invitation, member
