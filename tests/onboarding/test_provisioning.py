"""Provisioning a verified sign-up: everything or nothing, safe to run twice, in a real
Celery worker."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone
from django_tenants.utils import schema_exists

from billing.models import Subscription
from onboarding.models import Checklist, SignUp
from onboarding.services import provisioning
from onboarding.services.provisioning import signup_provision
from onboarding.services.signup import signup_create, signup_enter
from relier_platform.tenancy import current_schema
from tenants.models import Association, AuditEntry, Domain, Membership, User
from tests.conftest import World
from tests.onboarding.helpers import PASSWORD, data, sign_up


def verified(capture: Any, **overrides: Any) -> SignUp:
    signup = sign_up(capture, **overrides)
    SignUp.objects.filter(pk=signup.pk).update(status="verified",
                                               email_verified_at=timezone.now())
    return SignUp.objects.get(pk=signup.pk)


@pytest.mark.django_db
def test_provisioning_builds_the_workspace(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    signup = verified(django_capture_on_commit_callbacks)
    result = signup_provision(signup_id=signup.pk)
    assert result.status == "ready"
    association = Association.objects.get(slug="mains-tendues")
    assert (association.name, association.schema_name) == ("Les Mains Tendues",
                                                           "a_mains_tendues")
    assert schema_exists("a_mains_tendues")
    assert Domain.objects.filter(tenant=association).count() == 1
    admin = User.objects.get(email="direction@mains-tendues.example")
    assert admin.display_name == "Nadia Benali"
    assert check_password(PASSWORD, admin.password)
    assert list(Membership.objects.filter(association=association)
                .values_list("user__email", "role", "is_active")) == [
        ("direction@mains-tendues.example", "admin", True)]
    subscription = Subscription.objects.get(association=association)
    assert (subscription.plan_code, subscription.status) == ("equipe", "trialing")
    assert subscription.trial_ends_at is not None
    assert 29 <= (subscription.trial_ends_at - timezone.now()).days <= 30
    assert Checklist.objects.filter(association=association).count() == 1
    signup.refresh_from_db()
    assert (signup.association_id, signup.user_id, signup.password_hash) == (
        association.pk, admin.pk, "")
    assert signup.provisioning_seconds is not None
    assert signup.provisioning_seconds >= 0
    # The person enters once through a hand-off pass; then through the sign-in page.
    host, path = signup_enter(public_id=signup.public_id)
    assert host == "mains-tendues.relier.test"
    assert path.startswith("/passage/?t=")
    assert signup_enter(public_id=signup.public_id) == (host, "/accounts/login/")


@pytest.mark.django_db
def test_provisioning_twice_changes_nothing(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    signup = verified(django_capture_on_commit_callbacks)
    signup_provision(signup_id=signup.pk)
    counts = (Association.objects.count(), Membership.objects.count(),
              Subscription.objects.count(), AuditEntry.objects.count())
    assert signup_provision(signup_id=signup.pk).status == "ready"
    assert (Association.objects.count(), Membership.objects.count(),
            Subscription.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.django_db
def test_unverified_sign_up_is_not_provisioned(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    signup = sign_up(django_capture_on_commit_callbacks)
    assert signup_provision(signup_id=signup.pk).status == "pending"
    assert not Association.objects.filter(slug="mains-tendues").exists()


@pytest.mark.django_db
def test_a_failure_leaves_nothing_behind_and_can_be_retried(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    signup = verified(django_capture_on_commit_callbacks)
    users, associations = User.objects.count(), Association.objects.count()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("billing is down")

    monkeypatch.setattr(provisioning, "subscription_create", broken)
    with pytest.raises(RuntimeError):
        signup_provision(signup_id=signup.pk)
    signup.refresh_from_db()
    assert signup.status == "failed"
    assert signup.failure == (
        "La création de votre espace a échoué. Rien n'a été créé : vous pouvez réessayer. "
        "Si cela se reproduit, écrivez-nous, nous vous aiderons.")
    assert not schema_exists("a_mains_tendues")
    assert not Association.objects.filter(slug="mains-tendues").exists()
    assert not Domain.objects.filter(domain="mains-tendues.relier.test").exists()
    assert (User.objects.count(), Association.objects.count()) == (users, associations)
    assert current_schema() == "public"

    monkeypatch.undo()
    SignUp.objects.filter(pk=signup.pk).update(status="verified")
    assert signup_provision(signup_id=signup.pk).status == "ready"
    assert schema_exists("a_mains_tendues")


@pytest.mark.django_db
def test_an_address_taken_meanwhile_fails_with_its_message(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    signup = verified(django_capture_on_commit_callbacks, slug="acme-bis")
    SignUp.objects.filter(pk=signup.pk).update(slug="acme")  # taken since the form
    result = signup_provision(signup_id=signup.pk)
    assert (result.status, result.failure) == ("failed", "L'adresse « acme » est déjà prise.")




@pytest.mark.worker
def test_provisioning_task_runs_in_a_real_worker(
    world: World, worker: None, django_db_blocker: Any
) -> None:
    """Committed data (the worker has its own connection), in an address of its own."""
    from onboarding.tasks import signup_provision_task

    with django_db_blocker.unblock():
        signup = signup_create(data=data(slug="par-le-worker", identifier="W930000017",
                                         email="worker@asso.example"))
        SignUp.objects.filter(pk=signup.pk).update(status="verified",
                                                   email_verified_at=timezone.now())
        assert signup_provision_task.delay(signup.pk).get(timeout=90) == "ready"
        # Twice: nothing more happens.
        assert signup_provision_task.delay(signup.pk).get(timeout=90) == "ready"
        signup.refresh_from_db()
        assert signup.status == "ready"
        assert Association.objects.filter(slug="par-le-worker").count() == 1
        assert schema_exists("a_par_le_worker")
