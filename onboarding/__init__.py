"""Onboarding: an association's sign-up and provisioning, invitations and its team, the
first-steps checklist (services/), the team (team/: invitations, roles, hand-over) and the
import of its existing data (importing/: CSV, XLSX and Monday.com exports, parsed in an
isolated child process; its pages and tasks).

Schema: public for sign-ups and invitations; imports write into the association's schema.
May import: relier_platform's core, tenants (models, tenancy and account services,
outbox), tracking's models and services (what an import writes), billing (a sign-up's
plan)."""
