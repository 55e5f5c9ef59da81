"""Drop-in hours (permanences) with a psychologist. Schema: tenant.

Recurring slots per psychologist (weekday, hours, slot length, mode, validity period;
single occurrences cancelled), generated as bookable slots on the fly; bookings by staff
(for a case, or anonymous) and by families from the association's public page
(`/rendez-vous`, when the admins open it); the psychologist's day; a held slot becomes an
exchange on the case; no-shows counted. May import tracking's models, permissions, audit,
interactions' services and the platform's core; nothing imports its views but its urls.
"""
