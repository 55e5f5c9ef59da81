"""Tasks and notices (/taches/): each person's list of what to do today, gathered from
several sources — follow-ups due from the workflow's time limits on their cases, referrals
to acknowledge (admins and coordinators, who receive them), tasks anyone on the team
assigns with a due date (done or undone, cancelled with who and when, never deleted) — the
notice counter in the navigation, and the daily e-mail digest each person can switch off.
Nothing in a notice or a digest names a young person: counts only, and a link.

Named `todo` rather than `tasks`: in every room `tasks.py` holds the Celery tasks.

Schema: tenant (tasks, acknowledgements and digest preferences live in each association's
schema; staff are public accounts referenced by id).
May import: tracking's shared modules and models, tracking.cases' selectors (what is
overdue), tracking.audit's services, tenants' public services and selectors (members,
hosts), relier_platform's core."""
