"""A young person's rights under the GDPR — access export and anonymisation (services.py) —
and retention: archiving, anonymising and purging on the association's schedule
(retention.py, models.py, tasks.py).

Schema: tenant (the nightly job starts in public and runs once in each schema).
May import: tracking's shared modules and models, tenants.tenancy (audit trail purge),
relier_platform's core."""
