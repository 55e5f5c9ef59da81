"""Demonstration data: a year of an association's invented work written fast with COPY
(activity.py, cases.py, rows.py, words.py; a few documents through their service:
documents.py), used by `seed_demo` and the benches. Kept out of the domain code.

Schema: tenant (each generator run writes one association's schema).
May import: tracking.models, tracking.documents' services, django-tenants; nothing imports
it but seed_demo, benches and tests."""
