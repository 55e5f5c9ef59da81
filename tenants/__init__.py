"""The tenants app: everything kept once for the whole platform, in the public schema —
associations and their hosts, people and memberships, networks and what they publish,
closing an association, the keys of encrypted fields, the outbox of tasks.

Rooms: tenancy/ (associations, hosts, schemas, the platform audit trail), accounts/ (people,
memberships, sign-in security, hand-off), networks/ (networks, contributions, disclosure
control, publication, the coordinators' console), offboarding/ (closure, exports, backup),
keys/ (field encryption keys and their rotation), outbox/ (tasks sent after commit).
`tenants/models.py` gathers the rooms' models for Django.

Schema: public (shared), except where a room reads one association's schema on purpose.
May import: relier_platform's core; tracking for what an association's schema holds
(its models, access rules, the figures' definitions); billing and onboarding only inside
functions of offboarding (a closure ends the subscription)."""
