"""Reads on associations, accounts and memberships. Schema: public."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.models import Association, Membership, User


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
    return (
        Membership.objects.filter(
            user=user, is_active=True, user__is_active=True, association__is_active=True
        )
        .exclude(association__schema_name="public")
        # The first-run checklist row rides along (home page of admins, no extra query).
        .select_related("association", "association__checklist")
        .order_by("association__name")
    )


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
