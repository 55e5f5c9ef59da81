"""Cases: opening, editing, closing, linking and per-case grants (services.py), consent and
impact, case codes, hand-over of a leaving person's cases (reassign.py), the public
referral form (referrals.py, tasks.py), the case list and a case's timeline (selectors.py),
their pages (views.py, urls.py).

Schema: tenant.
May import: tracking's shared modules (access, permissions, forms, validation, columns),
tracking.workflows (a new case's first stage), tracking.fields (custom values),
tenants.outbox, tenants.accounts.selectors, relier_platform's core."""
