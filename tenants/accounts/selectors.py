"""Reads on associations, accounts and memberships. Schema: public."""

from __future__ import annotations

from django.db.models import QuerySet

from relier_platform.prepared import PreparedRead
from tenants.models import Association, Membership, User

# A user id no account has: marks where the argument goes in the prepared SQL.
_USER_ID_SAMPLE = -987_654_321_987


def membership_active_get(*, user: User, association: Association) -> Membership | None:
    return (
        Membership.objects.filter(
            user=user, association=association, is_active=True, user__is_active=True
        )
        .only("id", "role", "user_id", "association_id")
        .first()
    )


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The associations a person may switch to (the menu)."""
    return _memberships_of(user.pk)


def _memberships_of(user_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            user_id=user_id, is_active=True, user__is_active=True, association__is_active=True
        )
        .exclude(association__schema_name="public")
        # The first-run checklist row rides along (home page of admins, no extra query).
        .select_related("association", "association__checklist")
        .order_by("association__name")
    )


_MEMBERSHIPS_READ: PreparedRead[Membership] = PreparedRead(_memberships_of,
                                                           user_id=_USER_ID_SAMPLE)
_USER_READ: PreparedRead[User] = PreparedRead(lambda user_id: User.objects.filter(pk=user_id),
                                              user_id=_USER_ID_SAMPLE)


def membership_list_for_user_every_request(*, user: User) -> list[Membership]:
    """`membership_list_for_user`, evaluated with its SQL compiled once per connection
    (relier_platform.prepared): every signed-in request of an association reads it."""
    return _MEMBERSHIPS_READ(user_id=user.pk)


def user_get_every_request(*, user_id: int) -> User | None:
    """The account of a session (`pk` exact), read with SQL compiled once per connection."""
    found = _USER_READ(user_id=user_id)
    return found[0] if found else None


def association_list() -> QuerySet[Association]:
    return Association.objects.exclude(schema_name="public").order_by("name")


def active_member_ids(*, schema_name: str, user_ids: list[int]) -> set[int]:
    """Which of these accounts are active members of the association of that schema."""
    return set(
        Membership.objects.filter(
            association__schema_name=schema_name, user_id__in=user_ids, is_active=True,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )


def member_list(*, schema_name: str) -> QuerySet[Membership]:
    """Active team members of the association of that schema."""
    return (
        Membership.objects.filter(
            association__schema_name=schema_name, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("user__display_name", "user__email")
    )
