"""Drop-in hours (permanences) with a psychologist. Schema: tenant.

Recurring slots per psychologist (weekday, hours, slot length, mode, validity period;
single occurrences cancelled), generated as bookable slots on the fly; bookings by staff
(for a case, or anonymous) and by families from the association's public page
(`/rendez-vous`, when the admins open it); the psychologist's day; a held slot becomes an
exchange on the case; no-shows counted.

May import: tracking's models, permissions, validation, audit, interactions' services,
tenants' accounts selectors and rate limits, the platform's core. Imported by figures and
the network contribution (counts), privacy (export, erasure, retention), the demo.
"""
