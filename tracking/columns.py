"""Column types every tracking model uses. Schema: tenant.

`staff_key`: a reference from an association's schema to a person (public account);
`EncryptedCharField` / `EncryptedTextField`: encrypted at rest, read back as "" when empty;
`ObjectPermission`: the base of django-guardian's direct-key object permissions kept in an
association's schema (per-case grants, group facilitation)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from encrypted_fields.fields import EncryptedCharField as _EncryptedChar
from encrypted_fields.fields import EncryptedTextField as _EncryptedText
from guardian.models import UserObjectPermissionBase

STAFF = settings.AUTH_USER_MODEL
# References from an association's schema to people (public.tenants_user) carry no database
# foreign key (db_constraint=False): each such key would add two triggers to the shared
# users table per association — thousands at scale, slowing every change of an account and
# every new schema — and Citus' schema-based sharding allows no key from a tenant table to a
# distributed one. Accounts are never deleted (PROTECT in the ORM;
# no account is ever removed), so the references stay valid.

def staff_key(**options: Any) -> models.ForeignKey[Any, Any]:
    """A reference to a person (an account), from an association's schema."""
    return models.ForeignKey(STAFF, on_delete=models.PROTECT, db_constraint=False, **options)


class _EmptyNotNull:
    """The library stores "" as NULL (nothing to encrypt); read it back as ""."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        value = super().from_db_value(value, expression, connection)  # type: ignore[misc]
        return "" if value is None else value


class EncryptedCharField(_EmptyNotNull, _EncryptedChar):
    """Encrypted at rest (Fernet; keys derived from SECRET_KEY, see settings)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)


class EncryptedTextField(_EmptyNotNull, _EncryptedText):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)


class ObjectPermission(UserObjectPermissionBase):
    """django-guardian's object permission for one person, with a direct key to the object
    (each subclass names it `content_object`, as guardian requires), kept in the
    association's schema. guardian finds the subclasses from the object's class, so its API
    (`get_perms`, `ObjectPermissionChecker`, `user.has_perm(perm, obj)`) reads them.

    The person and the permission live in public: no database key, like every reference
    from an association's schema to public (see staff_key). Content types have one table,
    in public (contenttypes is no tenant app), so guardian's lookups agree from any host."""

    user = staff_key(related_name="+")
    # Permissions are never deleted (Django's own, or a model's Meta.permissions).
    permission = models.ForeignKey(Permission, on_delete=models.DO_NOTHING, db_constraint=False)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = True


def object_permission(model: type[models.Model], codename: str) -> Permission:
    """The permission `codename` of `model` (a default one such as "view_case", or one of
    the model's Meta.permissions), as guardian's object permissions refer to it."""
    return Permission.objects.get(content_type=ContentType.objects.get_for_model(model),
                                  codename=codename)
