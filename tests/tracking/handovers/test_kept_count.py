"""The count of hand-overs waiting, in the admins' menu, kept a few seconds in the process in
front of Redis (relier_platform.cache.LocalMemo.shared, issue #21): fresh at once in the
process that decides, never shown to another association."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.handovers.selectors import count_cache_key
from tests.conftest import World, signed_in
from tests.platform.test_kept_counts import _count_reads
from tests.tracking.factories import actor
from tests.tracking.handovers.conftest import send
from tracking.handovers.services import handover_refuse
from tracking.models import Case

pytestmark = pytest.mark.django_db


def test_the_hand_over_count_is_kept_and_fresh_after_a_decision_made_here(
        world: World, network: object, case: Case, memos_on: object,
        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = send(world, case)
    beta = signed_in(world.beta_admin, world.beta)
    badge = '<span class="badge">1<span class="visually-hidden">'
    assert badge in beta.get("/groupes/").content.decode()
    with schema_context("a_beta"):
        cache.delete(count_cache_key(world.beta))
    with CaptureQueriesContext(connection) as captured:
        assert badge in beta.get("/groupes/").content.decode()
    assert _count_reads(captured) == []
    # Acme's admin never sees beta's count (their own is 0: no badge at all).
    acme = signed_in(world.acme_members["admin"], world.acme)
    assert badge not in acme.get("/groupes/").content.decode()
    with schema_context("a_beta"), django_capture_on_commit_callbacks(execute=True):
        handover_refuse(actor=actor(world.beta_admin, "admin"), association=world.beta,
                        handover_id=record.public_id)
    assert badge not in beta.get("/groupes/").content.decode()
