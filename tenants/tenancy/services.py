"""Writes on associations, accounts and memberships. Schema: public.

Each service validates, writes in one transaction and records an audit entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import db
from tenants.models import (
    Association,
    AuditEntry,
    Domain,
    Membership,
    Role,
    User,
)
from tenants.tenancy import citus, provisioning

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
RESERVED_SLUGS = frozenset({
    "www", "admin", "api", "public", "static", "media", "assets", "cdn", "app", "apps",
    "mail", "email", "smtp", "imap", "pop", "ftp", "ns1", "ns2", "relier", "template",
    "help", "aide", "support", "status", "statut", "auth", "login", "connexion", "signup",
    "inscription", "network", "reseau", "billing", "facturation", "stripe", "webhooks",
    "dev", "staging", "test", "root", "system", "postgres", "pg", "localhost",
})


def association_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def site_url(host: str, path: str = "/") -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{host}{port}{path}"


def schema_name_for(slug: str) -> str:
    # Slugs hold no underscore, so this mapping is one-to-one; the prefix keeps every
    # association away from `public`, the template and PostgreSQL's own `pg_` schemas.
    return "a_" + slug.replace("-", "_")


def validate_slug(slug: str) -> str:
    """Return the normalised slug or raise ApplicationError with a clear message."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or "--" in slug:
        raise ApplicationError(
            _(
                "L'adresse « %(slug)s » n'est pas valide : 3 à 40 caractères, lettres "
                "minuscules sans accent, chiffres et tirets, commençant par une lettre "
                "et sans tiret au début, à la fin ni deux tirets de suite."
            ) % {"slug": slug},
            code=ErrorCode.SLUG_INVALID, field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise ApplicationError(
            _("L'adresse « %(slug)s » est réservée : choisissez-en une autre.") % {"slug": slug},
            code=ErrorCode.SLUG_RESERVED, field="slug",
        )
    if Association.objects.filter(slug=slug).exists() or Domain.objects.filter(
        domain=association_host(slug)
    ).exists():
        raise ApplicationError(
            _("L'adresse « %(slug)s » est déjà prise.") % {"slug": slug},
            code=ErrorCode.SLUG_TAKEN, field="slug",
        )
    return slug


def _validate_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            _("L'adresse e-mail « %(email)s » n'est pas valide.") % {"email": email},
            code=ErrorCode.EMAIL_INVALID, field="email",
        ) from None
    return email


def _validate_name(name: str) -> str:
    name = (name or "").strip()
    if not 2 <= len(name) <= 200:
        raise ApplicationError(
            _("Le nom de l'association doit compter de 2 à 200 caractères."),
            code=ErrorCode.NAME_INVALID, field="name",
        )
    return name


def audit(
    action: str, *, actor: User | None = None, association: Association | None = None,
    **detail: object,
) -> None:
    AuditEntry.objects.create(actor=actor, association=association, action=action, detail=detail)


@dataclass(frozen=True)
class ProvisionedAssociation:
    association: Association
    admin: User
    sign_in_url: str
    set_password_url: str | None


def association_create(
    *, actor: User | None, slug: str, name: str, admin_email: str,
    admin_password: str | None = None,
) -> ProvisionedAssociation:
    """Create an association: its schema (cloned from the template), its domain, its first
    admin's account (or the existing one) and membership. All or nothing."""
    # The clone's DDL is slow on a backend that has touched many schemas: use a new one
    # when the caller holds no transaction (see connection_fresh).
    provisioning.connection_fresh()
    slug = validate_slug(slug)
    name = _validate_name(name)
    admin_email = _validate_email(admin_email)
    if db().schema_name != "public":
        db().set_schema_to_public()

    with transaction.atomic():
        association = Association(schema_name=schema_name_for(slug), slug=slug, name=name)
        association.save(verbosity=0)
        Domain.objects.create(domain=association_host(slug), tenant=association, is_primary=True)
        admin = User.objects.filter(email__iexact=admin_email).first()
        created = admin is None
        if admin is None:
            admin = User.objects.create_user(admin_email, password=admin_password)
        Membership.objects.create(user=admin, association=association, role=Role.ADMIN)
        audit("association.created", actor=actor, association=association, slug=slug)
        if provisioning.spares_target() > 0:  # on Citus: clone the next spare schema now
            from tenants.outbox.services import enqueue

            enqueue("tenants.spares_fill_task", schema="public")

    host = association_host(slug)
    set_password_url = None
    if created and not admin_password:
        set_password_url = password_set_url(admin, host)
    return ProvisionedAssociation(
        association=association, admin=admin,
        sign_in_url=site_url(host, reverse("account_login")),
        set_password_url=set_password_url,
    )


def password_set_url(user: User, host: str) -> str:
    """A one-time link where a new account chooses its password (allauth's reset key)."""
    from allauth.account.utils import user_pk_to_url_str

    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    return site_url(host, reverse("account_reset_password_from_key", kwargs={
        "uidb36": key.split("-", 1)[0], "key": key.split("-", 1)[1],
    }))


def membership_create(
    *, actor: User | None, association: Association, user: User, role: str
) -> Membership:
    if role not in Role.values:
        raise ApplicationError(
            _("Le rôle « %(role)s » n'existe pas.") % {"role": role}, code=ErrorCode.ROLE_INVALID
        )
    with transaction.atomic():
        existing = Membership.objects.select_for_update().filter(
            user=user, association=association
        ).first()
        if existing is not None:
            if existing.is_active:
                raise ApplicationError(
                    _("%(email)s fait déjà partie de l'association.") % {"email": user.email},
                    code=ErrorCode.MEMBERSHIP_EXISTS,
                )
            existing.is_active, existing.role, existing.deactivated_at = True, role, None
            existing.save(update_fields=["is_active", "role", "deactivated_at"])
            membership = existing
        else:
            membership = Membership.objects.create(user=user, association=association, role=role)
        audit("membership.created", actor=actor, association=association,
              user_id=user.pk, role=role)
    return membership


def membership_deactivate(*, actor: User | None, membership: Membership) -> Membership:
    """End someone's access to an association: effective on their next request (the
    membership is checked on every request), their history stays."""
    with transaction.atomic():
        membership.is_active = False
        membership.deactivated_at = timezone.now()
        membership.save(update_fields=["is_active", "deactivated_at"])
        audit("membership.deactivated", actor=actor, association=membership.association,
              user_id=membership.user_id)
    return membership


def public_tenant_ensure() -> Association:
    """The row for the platform site itself (schema public) and its domain."""
    public, _created = Association.objects.get_or_create(
        schema_name="public", defaults={"slug": "public", "name": "Relier"}
    )
    Domain.objects.get_or_create(
        domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )
    return public


def association_move(*, actor: User | None, association: Association, target: str) -> str:
    """Move an association's schema whole to another worker of the Citus cluster
    ("host:port"), while it keeps serving (tenants/tenancy/citus.py); audited. Returns the
    worker it was on. Not inside a transaction: Citus copies the schema, then switches."""
    if association.schema_name == settings.PUBLIC_SCHEMA_NAME:
        raise ApplicationError(_("Association introuvable."), code=ErrorCode.NOT_FOUND)
    if not citus.active():
        raise ApplicationError(
            _("Déplacer une association demande un cluster Citus (cette base n'en est pas "
              "un)."), code=ErrorCode.NOT_ALLOWED)
    where = citus.schema_nodes()
    known = {node.label for node in citus.nodes()}
    if association.schema_name not in where:
        raise ApplicationError(_("Le schéma de cette association n'est pas distribué."),
                               code=ErrorCode.NOT_FOUND)
    if target not in known:
        raise ApplicationError(
            _("Nœud inconnu : %(target)s (nœuds du cluster : %(known)s).")
            % {"target": target, "known": ", ".join(sorted(known))},
            code=ErrorCode.NOT_FOUND, field="target")
    source = where[association.schema_name]
    if source == target:
        return source
    started = timezone.now()
    citus.schema_move(association.schema_name, target)
    audit("association.moved", actor=actor, association=association, source=source,
          target=target, seconds=round((timezone.now() - started).total_seconds(), 3))
    return source
