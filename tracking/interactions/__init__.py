"""Interactions (every exchange, with its summary and, for psychologists only, its clinical
note), contacts around a young person and partner organisations (directory.py).

Schema: tenant.
May import: tracking's shared modules, tracking.fields (custom values), relier_platform's
core."""
