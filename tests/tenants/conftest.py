"""Fixtures of the network-indicator tests: three associations sharing with one network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Association, Network, PublishedCell, User
from tenants.networks.services import network_join
from tenants.networks.tasks import association_contribute_task
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World
from tests.tracking.factories import item, make_case
from tracking.school_year import school_year_label, school_year_of

TODAY = timezone.localdate()
YEAR = school_year_of(TODAY)
PERIOD = school_year_label(YEAR)
SECRET_NAME = "Zéphyrinette"
SECRET_TOWN = "Zorglubville-sur-Mer"
SECRET_SUMMARY = "propos-confidentiel-xq"


@dataclass
class Member:
    association: Association
    admin: User


def _opened_on(i: int) -> date:
    """Days of the current school year, up to today."""
    start = date(YEAR, 9, 1)
    return min(TODAY, start + timedelta(days=(i * 7) % 300))


def _member(slug: str) -> Member:
    created = association_create(actor=None, slug=slug, name=f"Association {slug}",
                                 admin_email=f"admin@{slug}.example", admin_password=PASSWORD)
    return Member(created.association, created.admin)


def _cases(member: Member, n: int, *, gender: str = "girl", department: str = "93") -> list[Any]:
    cases = []
    for i in range(n):
        with schema_context(member.association.schema_name):
            source = item("detection_source", "school")
        cases.append(make_case(member.association, member.admin, first_name=SECRET_NAME,
                               town=SECRET_TOWN, gender=gender, department=department,
                               detection_source=source, opened_on=_opened_on(i)))
    return cases


def _contribute(member: Member) -> int:
    with schema_context(member.association.schema_name):
        return int(association_contribute_task(member.association.schema_name))


def _cell(network: Network, indicator: str, row: str, column: str) -> tuple[Any, str]:
    cell = PublishedCell.objects.get(network=network, indicator=indicator, period=PERIOD,
                                     row=row, column=column)
    return cell.value, cell.reason


@pytest.fixture
def network() -> Network:
    return Network.objects.create(name="Réseau test", agreement_version="1")


@pytest.fixture
def members(world: World, network: Network) -> list[Member]:
    """Three associations sharing with the network: 8, 6 and 5 young girls in the 93."""
    found = [_member("pubun"), _member("pubdeux"), _member("pubtrois")]
    for member, n in zip(found, (8, 6, 5), strict=True):
        network_join(actor=member.admin, association=member.association, network=network,
                     agreement_version="1")
        _cases(member, n)
    return found
