"""The association's own lists (picklists): sources, situation types, programmes, closing
reasons..., with their network codes; the lists a new association starts with
(defaults.py).

Schema: tenant.
May import: tracking's shared modules, relier_platform's core."""
