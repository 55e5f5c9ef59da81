"""Publication of network indicators as Celery tasks.

- `association_contribute_task(schema)` runs in the association's schema (tenant-schemas-
  celery takes the schema from the message headers; the task refuses any other), computes
  its aggregates there and stores them in public: one task per association, run in
  parallel by the workers.
- `networks_pool_task(ids)` runs in public once the contributions are in (a Celery chord),
  and publishes each network.
- `networks_publish_all_task()` is the nightly job (Celery beat);
  `networks_recompute_task` is the "publish now" of a coordinator or an association admin,
  started through the outbox by `services.publication_enqueue`; it runs
  `publication_request`.
All are idempotent."""

from __future__ import annotations

import logging

from celery.canvas import chord
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from relier_platform.celery import app
from relier_platform.tenancy import current_schema
from tenants.models import Association, Network, NetworkMembership

log = logging.getLogger(__name__)


def _in_schema(signature: object, schema: str) -> object:
    """Send the task to run in `schema`, whatever schema the sender is in (the chord's
    callback is sent by the worker that ran the last contribution, in that tenant)."""
    return signature.set(headers={"_schema_name": schema})  # type: ignore[attr-defined]


@app.task(name="tenants.association_contribute_task")
def association_contribute_task(schema_name: str) -> int:
    """Compute and store one association's contribution. Returns the number of cells, or
    −1 on any failure (logged, recorded on the run): the chord goes on and the network
    publishes with the association's previous contribution. Only a wrong schema raises."""
    from tenants.networks import publication
    from tenants.networks.contribution import contributions_for

    if current_schema() != schema_name:
        raise RuntimeError("association_contribute_task ran outside its association's schema")
    run = None
    try:
        association = Association.objects.get(schema_name=schema_name)
        run = publication.contribution_run_start(association)
        if not publication.shares_with_a_network(association):
            publication.contributions_clear(run=run)
            return 0
        today = timezone.localdate()
        years = publication.published_school_years(today)
        cells = [(c.indicator, c.period, c.row, c.column, c.value)
                 for c in contributions_for(years, publication.data_cutoff(today))]
        return publication.contributions_replace(
            run=run, periods=[publication.period_label(y) for y in years], cells=cells)
    except Exception as error:  # recorded, reported, and the chord goes on
        log.exception("contribution of %s failed", schema_name)
        if run is not None:
            publication.contribution_run_fail(run, type(error).__name__)
        return -1


@app.task(name="tenants.networks_pool_task")
def networks_pool_task(_results: object = None, network_ids: list[int] | None = None) -> int:
    """Publish the networks (all of them when `network_ids` is None). Runs in public."""
    from tenants.networks.publication import network_publish

    if current_schema() != get_public_schema_name():
        raise RuntimeError("networks_pool_task must run in the public schema")
    networks = Network.objects.all() if network_ids is None else \
        Network.objects.filter(pk__in=network_ids)
    count = 0
    for network in networks.order_by("pk"):
        network_publish(network)
        count += 1
    return count


def publication_request(*, associations: list[Association],
                        network_ids: list[int] | None) -> object:
    """Recompute these associations' contributions in parallel, then publish the networks."""
    header = [_in_schema(association_contribute_task.si(a.schema_name), a.schema_name)
              for a in associations]
    callback = _in_schema(networks_pool_task.s(network_ids=network_ids),
                          get_public_schema_name())
    if not header:
        return callback.apply_async()  # type: ignore[attr-defined]
    return chord(header)(callback)


@app.task(name="tenants.networks_publish_all_task")
def networks_publish_all_task() -> int:
    """Nightly: every association that shares with a network, then every network."""
    ids = set(NetworkMembership.objects.filter(withdrawn_at__isnull=True)
              .values_list("association_id", flat=True))
    associations = list(Association.objects.filter(
        pk__in=ids, is_active=True, state=Association.State.ACTIVE).order_by("pk"))
    publication_request(associations=associations, network_ids=None)
    return len(associations)


@app.task(name="tenants.networks_recompute_task")
def networks_recompute_task(association_ids: list[int],
                            network_ids: list[int] | None) -> int:
    """The "publish now" of an admin or a coordinator, and a withdrawal, started from a
    page through the outbox (tenants/outbox/services.py): the chord of `publication_request`.
    Runs in public."""
    if current_schema() != get_public_schema_name():
        raise RuntimeError("networks_recompute_task must run in the public schema")
    associations = list(Association.objects.filter(pk__in=association_ids).order_by("pk"))
    publication_request(associations=associations, network_ids=network_ids)
    return len(associations)
