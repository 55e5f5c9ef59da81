"""Reads of hand-overs (public schema). Every read is scoped to one association: a
hand-over is reached as the receiving association's (incoming) or the sending one's
(sent), never by its id alone."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.http import Http404

from relier_platform.cache import LocalMemo
from tenants.handovers.models import Handover, HandoverStatus
from tenants.models import Association, Network

# A hand-over nobody decided is expired (its summary destroyed) this many days after it
# was sent (tracking.handovers.tasks, nightly).
EXPIRY_DAYS = 30
EXPIRY = timedelta(days=EXPIRY_DAYS)


def _active_networks(association: Association) -> QuerySet[Network]:
    return Network.objects.filter(memberships__association=association,
                                  memberships__withdrawn_at__isnull=True)


def receivers_for(sender: Association) -> QuerySet[Association]:
    """The associations `sender` may hand a young person over to: active members of a
    network it belongs to (membership not withdrawn), itself excluded."""
    return (Association.objects
            .filter(network_memberships__network__in=_active_networks(sender),
                    network_memberships__withdrawn_at__isnull=True,
                    state=Association.State.ACTIVE, is_active=True)
            .exclude(pk=sender.pk).distinct().order_by("name"))


def common_network(sender: Association, receiver: Association) -> Network | None:
    """A network both belong to now (the first by name), or None."""
    if sender.pk == receiver.pk:
        return None
    return (_active_networks(sender)
            .filter(memberships__association=receiver, memberships__withdrawn_at__isnull=True)
            .order_by("name").first())


def incoming_pending(receiver: Association) -> QuerySet[Handover]:
    return (Handover.objects.filter(receiver=receiver, status=HandoverStatus.PENDING)
            .select_related("sender", "network").order_by("-sent_at", "-id"))


def incoming_pending_count(receiver: Association) -> int:
    return Handover.objects.filter(receiver=receiver, status=HandoverStatus.PENDING).count()


COUNT_CACHE_SECONDS = 120


# This process's copy of the counts (relier_platform.cache.LocalMemo: a few seconds, in front
# of the shared cache), forgotten here by every change (services.count_forget).
COUNTS = LocalMemo("hand-over counts")


def count_cache_key(receiver: Association) -> str:
    return f"handovers:incoming:{receiver.pk}"


def incoming_pending_count_cached(receiver: Association) -> int:
    """The count shown in the admins' menu: from this process's copy (a few seconds), else
    the cache (the receiver's schema prefix), else counted. Every change empties the cache
    and this process's copy (tenants.handovers.services.count_forget); another web process
    may show the old count for up to RELIER_LOCAL_CACHE_SECONDS, except to the person who
    made the change (relier_platform.cache.ChangedRecentlyMiddleware)."""
    return int(COUNTS.shared(count_cache_key(receiver),
                             lambda: incoming_pending_count(receiver), COUNT_CACHE_SECONDS))


def incoming_decided(receiver: Association, *, limit: int = 50) -> list[Handover]:
    return list(Handover.objects.filter(receiver=receiver)
                .exclude(status=HandoverStatus.PENDING)
                .select_related("sender").order_by("-decided_at", "-id")[:limit])


def sent_by_association(sender: Association, ids: list[int]) -> dict[int, Handover]:
    """The hand-overs of `sender` among `ids` (the ones its own file records)."""
    rows = Handover.objects.filter(sender=sender, pk__in=ids).select_related("receiver")
    return {int(h.pk): h for h in rows}


def access_incoming(receiver: Association, handover_id: object, *,
                    for_update: bool = False) -> Handover:
    """A pending hand-over addressed to `receiver`; 404 for missing, decided, or addressed
    to anyone else alike."""
    try:
        pk = int(str(handover_id))
    except ValueError:
        raise Http404 from None
    rows = Handover.objects.filter(pk=pk, receiver=receiver, status=HandoverStatus.PENDING)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    handover = rows.select_related("sender", "network").first()
    if handover is None:
        raise Http404
    return handover


def access_sent(sender: Association, handover_id: object, *,
                for_update: bool = False) -> Handover:
    """A pending hand-over sent by `sender`; 404 otherwise."""
    try:
        pk = int(str(handover_id))
    except ValueError:
        raise Http404 from None
    rows = Handover.objects.filter(pk=pk, sender=sender, status=HandoverStatus.PENDING)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    handover = rows.select_related("receiver", "network").first()
    if handover is None:
        raise Http404
    return handover


def expired_pending(now: object) -> list[int]:
    return list(Handover.objects.filter(status=HandoverStatus.PENDING, expires_at__lte=now)
                .order_by("pk").values_list("pk", flat=True))
