"""Tests on a real Citus cluster (coordinator + two workers), started by
`python3 dev.py test -m citus`, which points DATABASE_URL at the coordinator.

The cluster is the run's own and thrown away afterwards, so these tests work on its
database directly (no test database: Citus would not create it on the workers) and commit
what they do, as the product does: each test names its associations uniquely.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from tenants.models import Association
from tenants.tenancy.services import association_create, public_tenant_ensure

PASSWORD = "mot-de-passe-de-test-42"


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment: None, django_db_blocker: Any) -> None:
    """Migrate the cluster's database (public, the template) as an operator would."""
    with django_db_blocker.unblock():
        call_command("migrate_schemas", interactive=False, verbosity=0)
        public_tenant_ensure()


@pytest.fixture
def cluster_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Database access in autocommit, as in production (no wrapping transaction)."""
    from relier_platform.tenancy import db

    with django_db_blocker.unblock():
        yield
        db().set_schema_to_public()


def new_association(label: str = "asso") -> Any:
    """A new association with a unique slug (the cluster outlives no run, but a test may
    be run twice against one kept with `dev.py citus start`)."""
    slug = f"{label}-{uuid.uuid4().hex[:8]}"
    return association_create(actor=None, slug=slug, name=f"Association {slug}",
                              admin_email=f"admin@{slug}.example", admin_password=PASSWORD)


def association(slug: str) -> Association:
    return Association.objects.get(slug=slug)


@pytest.fixture(scope="module")
def cluster_db_module(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """`cluster_db` for a module's shared associations (provisioning one on the cluster
    takes seconds: tests that only read them share them)."""
    from relier_platform.tenancy import db

    with django_db_blocker.unblock():
        yield
        db().set_schema_to_public()
