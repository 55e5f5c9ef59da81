"""Networks: associations join by an explicit agreement and may withdraw; the network's
disclosure rules. Schema: public.

Only an active admin of the association may join or withdraw it. Joining records who
agreed, when, and to which version of the network's data-sharing agreement; the version
must be the one in force (an admin who read an older text is asked to read it again).
Withdrawing is never a deletion: the row keeps the agreement and gains who withdrew and
when; `network_members` — what every publication reads — leaves the association out from
then on.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import (
    Association,
    AuditEntry,
    Membership,
    Network,
    NetworkCoordinator,
    NetworkMembership,
    Role,
    User,
)
from tenants.networks.disclosure import Rules, protection_width_floor
from tenants.outbox.services import enqueue
from tenants.tenancy.services import audit


def _require_admin(actor: User, association: Association) -> None:
    if not Membership.objects.filter(user=actor, association=association, role=Role.ADMIN,
                                     is_active=True).exists():
        raise ApplicationError(
            _("Seuls les administrateurs de l'association décident du partage avec un "
              "réseau."), code=ErrorCode.NOT_ALLOWED)


def network_join(*, actor: User, association: Association, network: Network,
                 agreement_version: str) -> NetworkMembership:
    _require_admin(actor, association)
    if agreement_version != network.agreement_version:
        raise ApplicationError(
            _("La convention de partage du réseau a changé (version %(version)s) : relisez-la "
              "avant d'accepter.") % {"version": network.agreement_version},
            code=ErrorCode.CONFLICT, field="agreement_version")
    try:
        with transaction.atomic():
            membership = NetworkMembership.objects.create(
                network=network, association=association, agreement_version=agreement_version,
                agreed_by=actor)
            audit("network.joined", actor=actor, association=association,
                  network_id=network.pk, agreement_version=agreement_version)
    except IntegrityError:
        raise ApplicationError(
            _("L'association partage déjà ses chiffres avec ce réseau."),
            code=ErrorCode.MEMBERSHIP_EXISTS) from None
    return membership


def network_withdraw(*, actor: User, association: Association,
                     network: Network) -> NetworkMembership:
    _require_admin(actor, association)
    with transaction.atomic():
        membership = (NetworkMembership.objects.select_for_update()
                      .filter(network=network, association=association,
                              withdrawn_at__isnull=True).first())
        if membership is None:
            raise ApplicationError(
                _("L'association ne partage pas ses chiffres avec ce réseau."),
                code=ErrorCode.NOT_FOUND)
        membership.withdrawn_at, membership.withdrawn_by = timezone.now(), actor
        membership.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit("network.withdrawn", actor=actor, association=association,
              network_id=network.pk)
        # Recompute at once: if it shares with no network any more, what it had left in
        # the public schema is removed; the network it left publishes again without it.

        publication_enqueue(associations=[association], network_ids=[network.pk])
    return membership


def network_members(network: Network) -> QuerySet[Association]:
    """The associations whose figures the network's next publication may hold: a closing
    or closed association (tenants.offboarding.services) is left out."""
    return Association.objects.filter(
        network_memberships__network=network,
        network_memberships__withdrawn_at__isnull=True,
        state=Association.State.ACTIVE, is_active=True,
    ).order_by("name")


def network_overlap(network: Network) -> int:
    """The most of the network's current members that one person belongs to: such a
    person can subtract what they see in each of them from the pooled figures."""
    members = network_members(network).values("pk")
    found = (Membership.objects.filter(association__in=members, is_active=True)
             .values("user").annotate(n=Count("association", distinct=True))
             .aggregate(most=Max("n")))["most"]
    return int(found or 0)


def min_contributors_for(overlap: int) -> int:
    """A cell is shown only if, whatever associations one person belongs to, at least two
    others still contribute to it: 3 contributors, one more for each further
    association a same person belongs to."""
    return max(3, overlap + 2)


def network_rules(network: Network, *, sensitive: bool = False,
                  min_contributors: int = 3) -> Rules:
    width = network.protection_width
    if width and not protection_width_floor(network.small_count_threshold) <= width \
            <= network.small_count_threshold - 2:
        width = 0  # a width the threshold no longer allows: the floor, never less
    return Rules(threshold=network.small_count_threshold,
                 round_to=5 if network.round_to_five else None, sensitive=sensitive,
                 protection_width=width, min_contributors=min_contributors)


# How often a network may be published on demand (by a coordinator or a member's admin):
# every publication is one more to subtract from the others.
ON_DEMAND_EVERY = timedelta(hours=6)


def network_publication_request(*, actor: User, network: Network,
                                associations: list[Association]) -> None:
    """"Publish now": at most once every ON_DEMAND_EVERY per network (the nightly one
    aside), audited whether it is accepted or refused. Call inside the request's
    transaction (the work starts through the outbox)."""

    with transaction.atomic():
        Network.objects.select_for_update().filter(pk=network.pk).first()
        last = (AuditEntry.objects.filter(action="network.publish_requested",
                                          detail__network_id=network.pk)
                .order_by("-at").values_list("at", flat=True).first())
        too_soon = last is not None and timezone.now() - last < ON_DEMAND_EVERY
        if not too_soon:
            publication_enqueue(associations=associations, network_ids=[network.pk])
            audit("network.publish_requested", actor=actor, network_id=network.pk,
                  associations=len(associations))
    if too_soon:
        assert last is not None
        audit("network.publish_refused", actor=actor, network_id=network.pk)
        next_at = timezone.localtime(last + ON_DEMAND_EVERY)
        raise ApplicationError(
            _("Une publication a déjà été demandée pour ce réseau à %(at)s : la suivante "
              "est possible à partir de %(next)s (sinon, elle a lieu chaque nuit).") % {
                "at": f"{timezone.localtime(last):%d/%m %H:%M}",
                "next": f"{next_at:%d/%m %H:%M}"},
            code=ErrorCode.PUBLICATION_TOO_SOON)


def network_rules_set(*, actor: User | None, network: Network, small_count_threshold: int,
                      round_to_five: bool, protection_width: int = 0) -> Network:
    """Platform operators set a network's rules; the threshold never goes below 5, the
    protection width never below half the threshold (0: that floor)."""
    if not 5 <= small_count_threshold <= 11:
        raise ApplicationError(
            _("Le seuil des petits effectifs doit être compris entre 5 et 11."),
            code=ErrorCode.VALUE_RANGE, field="small_count_threshold")
    floor = protection_width_floor(small_count_threshold)
    if protection_width and not floor <= protection_width <= small_count_threshold - 2:
        raise ApplicationError(
            _("La largeur de protection doit être comprise entre %(low)s et %(high)s avec ce "
              "seuil (0 : %(low)s).") % {"low": floor, "high": small_count_threshold - 2},
            code=ErrorCode.VALUE_RANGE, field="protection_width")
    with transaction.atomic():
        network.small_count_threshold, network.round_to_five = small_count_threshold, round_to_five
        network.protection_width = protection_width
        network.save(update_fields=["small_count_threshold", "round_to_five",
                                    "protection_width"])
        audit("network.rules", actor=actor, network_id=network.pk,
              small_count_threshold=small_count_threshold, round_to_five=round_to_five,
              protection_width=protection_width)
    return network


def network_create(*, actor: User | None, name: str) -> Network:
    with transaction.atomic():
        network = Network.objects.create(name=name.strip())
        audit("network.created", actor=actor, network_id=network.pk)
    return network


def network_coordinator_add(
    *, actor: User | None, network: Network, user: User
) -> NetworkCoordinator:
    with transaction.atomic():
        coordinator, _created = NetworkCoordinator.objects.get_or_create(
            user=user, network=network
        )
        audit("network.coordinator_added", actor=actor, network_id=network.pk, user_id=user.pk)
    return coordinator



def publication_enqueue(*, associations: list[Association],
                        network_ids: list[int] | None) -> None:
    """What a page calls, inside its transaction: the recomputation starts after commit,
    or once the broker is back if it is down."""
    enqueue("tenants.networks_recompute_task", args=([a.pk for a in associations], network_ids),
            schema=get_public_schema_name())
