"""Workflows: stages and transitions, versioned; drafting, validating and publishing with
the mapping of cases; moving a case; reminders for cases past their stage's time limit
(reminders.py, tasks.py); the editor (views.py).

Schema: tenant.
May import: tracking's shared modules, tracking.fields (required fields), relier_platform's
core."""
