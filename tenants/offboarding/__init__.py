"""Closing an association: the twice-confirmed request and its grace period (services.py),
the admins' export in open formats (export.py), the psychologists' separate export of
clinical notes (clinical.py), backup and restore of one schema (backup.py), the read-only
middleware of a closing association, its pages (views.py, urls.py) and tasks.

Schema: public; the exports and the backup read one association's schema, the last step
drops it.
May import: relier_platform's core, tenants.models, tenants.tenancy, tenants.accounts,
tenants.networks.services, tenants.outbox, tracking's models, access rules and exports;
billing.closure inside the closure task."""
