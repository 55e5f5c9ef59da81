"""Question Psy: young people and families ask questions anonymously (public form
`/question-psy/`, opened by the association's admins); the team sets each one aside or
rewords it without anything identifying, groups it into a weekly session where a
psychologist answers it, then publishes the answers (`/question-psy/reponses/`: the
publishable wording and the answer only). The original text is encrypted at rest, never
published, and erased by retention (tracking/questions/services.py, `questions_retention`).

Schema: tenant.
May import: tracking's shared modules, tracking.audit, relier_platform's core,
tenants.accounts.ratelimit (the public form's limit, as /signaler)."""
