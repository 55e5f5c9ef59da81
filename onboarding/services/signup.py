"""Public sign-up of an association: the form, the e-mail verification, the entry into
the ready workspace. Schema: public.

Nothing of the workspace exists before the address is verified: a sign-up is one row;
verifying it enqueues onboarding.tasks.signup_provision_task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from onboarding import emails
from onboarding.identifiers import Identifier, identifier_parse
from onboarding.models import DPA_VERSION, HOLDING, TERMS_VERSION, SignUp
from onboarding.services.tokens import token_hash, token_new
from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import db
from tenants.outbox.services import enqueue
from tenants.tenancy.services import audit, site_url, validate_slug

VERIFICATION_VALIDITY = timedelta(hours=48)
# An unverified sign-up older than this no longer holds its identifier and address.
PENDING_LIFETIME = timedelta(days=7)
RESEND_INTERVAL = timedelta(seconds=60)
# Abuse basics: sign-ups per IP address and hour.
RATE_LIMIT_PER_HOUR = 10


@dataclass(frozen=True)
class SignUpData:
    association_name: str
    identifier: str
    slug: str
    contact_name: str
    email: str
    password: str
    accept_terms: bool
    accept_dpa: bool


def _name(value: str, *, field: str, low: int, high: int, message: str) -> str:
    value = " ".join((value or "").split())
    if not low <= len(value) <= high:
        raise ApplicationError(message, code=ErrorCode.NAME_INVALID, field=field)
    return value


def _email(value: str) -> str:
    value = (value or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise ApplicationError(
            _("L'adresse e-mail « %(email)s » n'est pas valide.") % {"email": value},
            code=ErrorCode.EMAIL_INVALID, field="email",
        ) from None
    return value


def password_check(password: str, *, email: str, name: str = "") -> None:
    from tenants.models import User

    try:
        validate_password(password, user=User(email=email, display_name=name))
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), code=ErrorCode.PASSWORD_INVALID,
                               field="password") from None


def _identifier_taken(identifier: Identifier) -> ApplicationError:
    return ApplicationError(
        _("Une association avec l'identifiant %(value)s a déjà un espace Relier ou une "
          "inscription en cours. Si c'est la vôtre, demandez à son administrateur de vous "
          "inviter ; sinon écrivez-nous.") % {"value": identifier.value},
        code=ErrorCode.IDENTIFIER_TAKEN, field="identifier",
    )


def _slug_taken(slug: str) -> ApplicationError:
    return ApplicationError(
        _("L'adresse « %(slug)s » est déjà prise.") % {"slug": slug},
        code=ErrorCode.SLUG_TAKEN, field="slug",
    )


def signup_rate_check(*, ip_address: str | None) -> None:
    """At most RATE_LIMIT_PER_HOUR sign-ups per address and hour (counted in the cache)."""
    if not ip_address:
        return
    key = f"signup-rate:{ip_address}:{timezone.now():%Y%m%d%H}"
    count = cache.get_or_set(key, 0, 3600)
    if int(count or 0) >= RATE_LIMIT_PER_HOUR:
        raise ApplicationError(
            _("Trop d'inscriptions depuis cette connexion. Réessayez dans une heure."),
            code=ErrorCode.SIGNUP_RATE_LIMITED,
        )


def _rate_count(ip_address: str | None) -> None:
    if ip_address:
        key = f"signup-rate:{ip_address}:{timezone.now():%Y%m%d%H}"
        cache.get_or_set(key, 0, 3600)
        cache.incr(key)


def signup_create(*, data: SignUpData, ip_address: str | None = None) -> SignUp:
    """Record a sign-up and send the verification link. Checks everything first: a
    duplicate identifier or address creates nothing."""
    if db().schema_name != "public":
        db().set_schema_to_public()
    name = _name(data.association_name, field="association_name", low=2, high=200,
                 message=_("Le nom de l'association doit compter de 2 à 200 caractères."))
    identifier = identifier_parse(data.identifier)
    slug = validate_slug(data.slug)
    contact = _name(data.contact_name, field="contact_name", low=2, high=150,
                    message=_("Indiquez le nom de la personne à contacter (2 à 150 "
                              "caractères)."))
    email = _email(data.email)
    password_check(data.password, email=email, name=contact)
    if not data.accept_terms:
        raise ApplicationError(_("Acceptez les conditions d'utilisation pour continuer."),
                               code=ErrorCode.TERMS_REQUIRED, field="accept_terms")
    if not data.accept_dpa:
        raise ApplicationError(
            _("Acceptez l'accord de traitement des données pour continuer."),
            code=ErrorCode.TERMS_REQUIRED, field="accept_dpa")
    signup_rate_check(ip_address=ip_address)

    now = timezone.now()
    raw, hashed = token_new()
    with transaction.atomic():
        # Unverified sign-ups past their lifetime free what they held.
        SignUp.objects.filter(status=SignUp.Status.PENDING,
                              created_at__lt=now - PENDING_LIFETIME).filter(
            identity_key=identifier.identity_key).update(status=SignUp.Status.EXPIRED)
        SignUp.objects.filter(status=SignUp.Status.PENDING,
                              created_at__lt=now - PENDING_LIFETIME, slug=slug).update(
            status=SignUp.Status.EXPIRED)
        holding = SignUp.objects.filter(status__in=HOLDING)
        if holding.filter(identity_key=identifier.identity_key).exists():
            raise _identifier_taken(identifier)
        if holding.filter(slug=slug).exists():
            raise _slug_taken(slug)
        try:
            with transaction.atomic():
                signup = SignUp.objects.create(
                    association_name=name, identifier_kind=identifier.kind,
                    identifier=identifier.value, identity_key=identifier.identity_key,
                    slug=slug, contact_name=contact, email=email,
                    password_hash=make_password(data.password),
                    terms_version=TERMS_VERSION, terms_accepted_at=now,
                    dpa_version=DPA_VERSION, dpa_accepted_at=now,
                    token_hash=hashed, token_sent_at=now, ip_address=ip_address,
                )
        except IntegrityError as error:
            # Two people submitting at once: the database constraint decides.
            if "signup_one_per_slug" in str(error):
                raise _slug_taken(slug) from None
            raise _identifier_taken(identifier) from None
        audit("signup.created", signup_id=signup.pk, slug=slug,
              identifier_kind=identifier.kind, terms_version=TERMS_VERSION,
              dpa_version=DPA_VERSION)
        _send_verification(signup, raw)
    _rate_count(ip_address)
    return signup


def _send_verification(signup: SignUp, raw: str) -> None:
    link = site_url(settings.BASE_DOMAIN, reverse(
        "signup_verify", args=[raw], urlconf=settings.PUBLIC_SCHEMA_URLCONF))
    language = get_language() or "fr"
    context = {"signup": signup, "link": link,
               "hours": int(VERIFICATION_VALIDITY.total_seconds() // 3600)}
    transaction.on_commit(lambda: emails.send("verify", to=signup.email, context=context,
                                              language=language))


def _link_invalid() -> ApplicationError:
    return ApplicationError(
        _("Ce lien de vérification n'est pas valable. Vérifiez que vous avez copié le lien "
          "entier, ou demandez-en un nouveau."), code=ErrorCode.SIGNUP_LINK_INVALID)


def signup_for_token(*, token: str) -> SignUp:
    """The sign-up a verification link names, if it may still be used."""
    signup = SignUp.objects.filter(token_hash=token_hash(token)).first()
    if signup is None:
        raise _link_invalid()
    if signup.email_verified_at is not None:
        raise ApplicationError(
            _("Ce lien a déjà servi : l'adresse est vérifiée. Suivez la création de votre "
              "espace depuis la page ouverte alors, ou connectez-vous à votre espace."),
            code=ErrorCode.SIGNUP_LINK_INVALID)
    if signup.status != SignUp.Status.PENDING:
        raise _link_invalid()
    if signup.token_sent_at is None or (
        signup.token_sent_at + VERIFICATION_VALIDITY <= timezone.now()
    ):
        raise ApplicationError(
            _("Ce lien a expiré (il est valable %(hours)d heures). Demandez-en un nouveau "
              "depuis la page de votre inscription.")
            % {"hours": int(VERIFICATION_VALIDITY.total_seconds() // 3600)},
            code=ErrorCode.SIGNUP_LINK_INVALID)
    return signup


def signup_verify(*, token: str) -> SignUp:
    """Mark the address verified (once) and enqueue the provisioning."""

    with transaction.atomic():
        found = signup_for_token(token=token)
        signup = SignUp.objects.select_for_update().get(pk=found.pk)
        if signup.email_verified_at is not None or signup.status != SignUp.Status.PENDING:
            raise _link_invalid()
        signup.status = SignUp.Status.VERIFIED
        signup.email_verified_at = timezone.now()
        signup.save(update_fields=["status", "email_verified_at"])
        audit("signup.verified", signup_id=signup.pk)
        signup_id = signup.pk
        enqueue("onboarding.signup_provision_task", args=(signup_id,))
    return signup


def signup_resend(*, public_id: UUID) -> SignUp:
    """A new verification link (the previous one dies)."""
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().filter(public_id=public_id).first()
        if signup is None or signup.status != SignUp.Status.PENDING:
            raise ApplicationError(
                _("Cette inscription n'attend plus de vérification."),
                code=ErrorCode.SIGNUP_LINK_INVALID)
        now = timezone.now()
        if signup.token_sent_at and signup.token_sent_at + RESEND_INTERVAL > now:
            raise ApplicationError(
                _("Un lien vient d'être envoyé. Patientez une minute avant d'en demander un "
                  "autre."), code=ErrorCode.SIGNUP_RATE_LIMITED)
        raw, hashed = token_new()
        signup.token_hash, signup.token_sent_at = hashed, now
        signup.save(update_fields=["token_hash", "token_sent_at"])
        audit("signup.link_resent", signup_id=signup.pk)
        _send_verification(signup, raw)
    return signup


def signup_retry(*, public_id: UUID) -> SignUp:
    """Provision again after a failure (nothing was left behind by the failed run)."""

    with transaction.atomic():
        signup = SignUp.objects.select_for_update().filter(public_id=public_id).first()
        if signup is None or signup.status != SignUp.Status.FAILED:
            raise ApplicationError(_("Cette inscription n'est pas en échec."),
                                   code=ErrorCode.SIGNUP_LINK_INVALID)
        signup.status, signup.failure = SignUp.Status.VERIFIED, ""
        try:
            with transaction.atomic():
                signup.save(update_fields=["status", "failure"])
        except IntegrityError:
            raise ApplicationError(
                _("L'adresse ou l'identifiant de cette inscription a été pris entre-temps. "
                  "Recommencez l'inscription avec une autre adresse."),
                code=ErrorCode.SLUG_TAKEN) from None
        audit("signup.retried", signup_id=signup.pk)
        signup_id = signup.pk
        enqueue("onboarding.signup_provision_task", args=(signup_id,))
    return signup


def signup_enter(*, public_id: UUID) -> tuple[str, str]:
    """Host and path of the one-time pass into the ready workspace (tenants.accounts.handoff), for
    the browser that verified the address; a second use gets the workspace's sign-in
    page."""
    from tenants.accounts.handoff import handoff_create
    from tenants.tenancy.services import association_host

    with transaction.atomic():
        signup = (SignUp.objects.select_for_update(of=("self",))
                  .select_related("association", "user")
                  .filter(public_id=public_id).first())
        if signup is None or signup.status != SignUp.Status.READY or signup.user is None \
                or signup.association is None:
            raise ApplicationError(_("Votre espace n'est pas encore prêt."),
                                   code=ErrorCode.NOT_FOUND)
        host = association_host(signup.association.slug)
        if signup.entered_at is not None:
            return host, reverse("account_login")
        signup.entered_at = timezone.now()
        signup.save(update_fields=["entered_at"])
        audit("signup.entered", actor=signup.user, association=signup.association)
        return host, handoff_create(actor=signup.user, target=signup.association)
