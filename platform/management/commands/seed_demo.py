"""python manage.py seed_demo — a demo network with three associations (DEBUG only).

Idempotent: what exists already is left as it is. Every person is invented; the sign-ins
are printed at the end and documented in the README.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from relier_platform.demo.activity import generate_activity
from relier_platform.demo.dropin import generate_dropin
from relier_platform.demo.todo import demo_tasks
from tenants.accounts.selectors import member_list
from tenants.models import Association, Membership, Network, NetworkMembership, Role, User
from tenants.networks.services import network_coordinator_add, network_create
from tenants.tenancy.services import (
    association_create,
    association_host,
    membership_create,
    public_tenant_ensure,
    site_url,
)
from tracking.models import Case

DEMO_PASSWORD = "relier-demo-2026"
NETWORK_NAME = "Réseau Relier (démo)"
ASSOCIATIONS = [
    # slug, name, roles present (the large one has every role, several of some)
    ("liens", "Les Liens Solidaires", [
        Role.ADMIN, Role.COORDINATOR, Role.PSYCHOLOGIST, Role.PSYCHOLOGIST, Role.LISTENER,
        Role.LISTENER, Role.VOLUNTEER, Role.VOLUNTEER, Role.VOLUNTEER, Role.READ_ONLY,
    ]),
    ("ecoute-reunion", "Écoute Jeunesse Réunion", [
        Role.ADMIN, Role.PSYCHOLOGIST, Role.LISTENER, Role.VOLUNTEER,
    ]),
    ("pas-a-pas", "Pas à Pas Val-de-Marne", [
        Role.ADMIN, Role.COORDINATOR, Role.PSYCHOLOGIST, Role.VOLUNTEER,
    ]),
]
OPERATOR_EMAIL = "operateur@relier.example"
COORDINATOR_EMAIL = "reseau@relier.example"
# One person works for two associations, to show the switch menu: the large one and one
# that does not share its figures with the network (one person in two of the network's
# three associations could subtract what each shows them from the pooled figures, and the
# network would then show nothing: tenants.networks.services.min_contributors_for).
SHARED_EMAIL = "coordination@liens.example"
OUTSIDE = ("relais-lyon", "Relais Jeunes Lyon")
# A year of invented activity per association: cases, exchanges, where the young live.
ACTIVITY = {
    "liens": (400, 4000, {"93": 50, "94": 15, "75": 10, "92": 10, "974": 15}),
    "ecoute-reunion": (60, 500, {"974": 1}),
    "pas-a-pas": (60, 500, {"94": 85, "93": 10, "75": 5}),
}


def demo_email(slug: str, role: str, index: int) -> str:
    suffix = "" if index == 0 else str(index + 1)
    return f"{role.replace('_', '-')}{suffix}@{slug}.example"


def _user(email: str, **extra: Any) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password=DEMO_PASSWORD, **extra)
    return user


class Command(BaseCommand):
    help = "Remplit la base avec un réseau de démonstration (refusé hors DEBUG)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(_(
                "seed_demo est refusé quand DEBUG est désactivé : les données de démonstration "
                "n'ont rien à faire en production."
            ))
        with transaction.atomic():
            public_tenant_ensure()
            _user(OPERATOR_EMAIL, is_staff=True, is_superuser=True, display_name="Opérateur démo")
            network = Network.objects.filter(name=NETWORK_NAME).first() or network_create(
                actor=None, name=NETWORK_NAME
            )
            network_coordinator_add(
                actor=None, network=network,
                user=_user(COORDINATOR_EMAIL, display_name="Coordination réseau"),
            )
        lines = [
            ("Opérateur", site_url(settings.BASE_DOMAIN, "/admin/"), OPERATOR_EMAIL),
            ("Coordinateur réseau", site_url(settings.BASE_DOMAIN, "/reseaux/"),
             COORDINATOR_EMAIL),
        ]
        for slug, name, roles in ASSOCIATIONS:
            association = Association.objects.filter(slug=slug).first()
            admin_email = demo_email(slug, Role.ADMIN, 0)
            if association is None:
                association = association_create(
                    actor=None, slug=slug, name=name, admin_email=admin_email,
                    admin_password=DEMO_PASSWORD,
                ).association
            seen: dict[str, int] = {}
            for role in roles:
                index = seen.get(role, 0)
                seen[role] = index + 1
                email = demo_email(slug, role, index)
                user = _user(email)
                if not Membership.objects.filter(user=user, association=association).exists():
                    membership_create(actor=None, association=association, user=user, role=role)
                if index == 0:
                    lines.append((f"{name} · {Role(role).label}",
                                  site_url(association_host(slug), "/"), email))
        shared = _user(SHARED_EMAIL)
        slug, name = OUTSIDE
        if not Association.objects.filter(slug=slug).exists():
            association_create(actor=None, slug=slug, name=name,
                               admin_email=demo_email(slug, Role.ADMIN, 0),
                               admin_password=DEMO_PASSWORD)
        # A demo seeded before this change had the person in pas-a-pas: that ends.
        Membership.objects.filter(user=shared, association__slug="pas-a-pas",
                                  is_active=True).update(is_active=False)
        for slug in ("liens", OUTSIDE[0]):
            association = Association.objects.get(slug=slug)
            if not Membership.objects.filter(user=shared, association=association).exists():
                membership_create(actor=None, association=association, user=shared,
                                  role=Role.COORDINATOR)
        lines.append(("Deux associations (menu « Changer d'association »)",
                      site_url(association_host("liens"), "/"), SHARED_EMAIL))

        self.stdout.write(self.style.SUCCESS(_("Démo prête. Mot de passe pour tous : %s")
                                             % DEMO_PASSWORD))
        self.stdout.write(_("Opérateur, administrateurs et psychologues : une application "
                            "d'authentification (TOTP) est demandée à la première connexion."))
        for label, url, email in lines:
            self.stdout.write(f"  {label:<45} {email:<34} {url}")
        self.fill_activity()
        self.fill_questions()
        self.publish(network)
        self.handover()

    def publish(self, network: Network) -> None:
        """The three associations share with the demo network; its figures are published
        at once (the nightly task does it afterwards)."""
        from tenants.networks.publication import network_publish
        from tenants.networks.services import network_join
        from tenants.networks.tasks import association_contribute_task

        for slug, _name, _roles in ASSOCIATIONS:
            association = Association.objects.get(slug=slug)
            if not NetworkMembership.objects.filter(network=network, association=association,
                                                    withdrawn_at__isnull=True).exists():
                admin = User.objects.get(email=demo_email(slug, Role.ADMIN, 0))
                network_join(actor=admin, association=association, network=network,
                             agreement_version=network.agreement_version)
            with schema_context(association.schema_name):
                association_contribute_task(association.schema_name)
        network_publish(network)
        self.stdout.write(_("Indicateurs du réseau publiés."))

    def fill_questions(self) -> None:
        """Question Psy: a year of questions and weekly sessions in each demo association
        that has none yet; the large one has its public form open."""
        from relier_platform.demo.questions import generate_questions
        from tracking.models import Question

        for seed, (slug, name, _roles) in enumerate(ASSOCIATIONS):
            schema_name = Association.objects.get(slug=slug).schema_name
            staff: dict[str, list[int]] = {}
            for membership in member_list(schema_name=schema_name):
                staff.setdefault(membership.role, []).append(membership.user_id)
            with schema_context(schema_name), transaction.atomic():
                if Question.objects.exists():
                    continue
                counts = generate_questions(
                    rng=random.Random(seed),  # noqa: S311 — invented demo data
                    start=timezone.localdate() - timedelta(days=364),
                    count=ACTIVITY[slug][0] // 4, answerers=staff.get(Role.PSYCHOLOGIST, []),
                    moderators=staff.get(Role.COORDINATOR, []) + staff.get(Role.ADMIN, []),
                    form_open=slug == "liens")
            self.stdout.write(_("%(name)s — Question Psy : %(questions)s questions, "
                                "%(sessions)s séances.") % {
                "name": name, "questions": counts["questions"],
                "sessions": counts["question_sessions"]})
    def handover(self) -> None:
        """One hand-over waiting: Pas à Pas hands a young person over to Les Liens
        Solidaires (whose admin sees it under Transmissions). Made once: a hand-over
        between the two, whatever became of it, is left as it is."""
        from datetime import timedelta

        from django.utils import timezone

        from tenants.models import Handover
        from tracking.handovers.services import handover_prefill, handover_send
        from tracking.permissions import Actor

        sender = Association.objects.get(slug="pas-a-pas")
        receiver = Association.objects.get(slug="liens")
        if Handover.objects.filter(sender=sender, receiver=receiver).exists():
            return
        admin = User.objects.get(email=demo_email("pas-a-pas", Role.ADMIN, 0))
        with schema_context(sender.schema_name):
            case = (Case.objects.filter(closed_on__isnull=True, archived_at__isnull=True,
                                        birth_year__isnull=False)
                    .order_by("-opened_on", "-id").first())
            if case is None:
                return
            draft = handover_prefill(case)
            draft.receiver_id = receiver.pk
            draft.summary = (
                "La famille déménage à Villeurbanne à la rentrée. Moqueries répétées en "
                "classe et sur un groupe de messagerie depuis le printemps ; le jeune a "
                "repris confiance grâce aux groupes d'échange et souhaite continuer. Les "
                "parents sont d'accord pour être recontactés par votre équipe.")
            draft.consent_given_by = "parent"
            draft.consent_given_on = timezone.localdate() - timedelta(days=3)
            draft.consent_method = "written"
            handover_send(actor=Actor(user=admin, role=Role.ADMIN), association=sender,
                          case=case, draft=draft)
        self.stdout.write(_("Une transmission attend Les Liens Solidaires."))

    def fill_activity(self) -> None:
        """A year of invented activity in each demo association that has no case yet."""
        for seed, (slug, name, _roles) in enumerate(ASSOCIATIONS):
            cases, interactions, departments = ACTIVITY[slug]
            schema_name = Association.objects.get(slug=slug).schema_name
            with schema_context(schema_name):
                has_cases = Case.objects.exists()
            if has_cases:
                self.stdout.write(_("%s — des dossiers existent déjà : activité non générée.")
                                  % name)
                continue
            staff: dict[str, list[int]] = {}
            for membership in member_list(schema_name=schema_name):
                staff.setdefault(membership.role, []).append(membership.user_id)
            counts = generate_activity(
                schema_name=schema_name, cases=cases, interactions=interactions, seed=seed,
                staff_ids_by_role=staff, departments=departments,
            )
            # Drop-in hours; the public booking page opened in the largest association.
            generate_dropin(schema_name=schema_name, staff_ids_by_role=staff, seed=seed,
                            public_booking=slug == "liens")
            demo_tasks(schema_name=schema_name, staff_ids_by_role=staff, seed=seed)
            # "label : count" keeps French right whatever the count (no plural to agree).
            self.stdout.write(_(
                "%(name)s — dossiers : %(cases)s, échanges : %(interactions)s (notes "
                "cliniques : %(notes)s), contacts : %(contacts)s, partenaires : %(partners)s, "
                "groupes d'échange : %(groups)s (séances : %(sessions)s, présences : "
                "%(attendances)s), sensibilisations : %(awareness)s, bilans d'impact : "
                "%(assessments)s."
            ) % {
                "name": name, "cases": counts["cases"], "interactions": counts["interactions"],
                "notes": counts["clinical_notes"], "contacts": counts["contacts"],
                "partners": counts["partners"], "groups": counts["groups"],
                "sessions": counts["group_sessions"], "attendances": counts["attendances"],
                "awareness": counts["awareness_sessions"],
                "assessments": counts["assessments"],
            })
