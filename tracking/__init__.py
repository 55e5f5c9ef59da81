"""The tracking app: an association's own work, in its own schema — young people's cases and
what is recorded on them, workflows, custom fields and lists, figures, privacy rights.

Rooms: cases/, interactions/ (exchanges, contacts, partners), groups/ (exchange groups,
sessions, attendance), awareness/, audit/ (the association's log), workflows/, fields/
(custom fields), lists/ (the association's picklists), figures/ (activity figures and
exports), privacy/ (GDPR rights and retention), imports/ (the import runs' table).
Shared at the top: access.py and permissions.py (who may do what), forms.py,
validation.py (checks every service shares), columns.py (encrypted and staff columns),
school_year.py; `tracking/models.py` gathers the rooms' models for Django.

Schema: tenant (every table lives in each association's schema; staff are public accounts
referenced by id).
May import: relier_platform's core, tenants.models and tenants' account and tenancy
services (members, audit); tenants.outbox to start tasks; onboarding only inside
functions (the import of an association's data)."""
