"""The association's audit log: append-only entries written by every service (services.py),
read by its admins (views.py).

Schema: tenant.
May import: tracking's shared modules, relier_platform's core."""
