"""The keys of encrypted fields: where encrypted values are stored (fields.py) and the
re-encryption of every encrypted column with the current key (rotation.py,
`rotate_field_keys`).

Schema: none for fields.py (settings and model metadata); rotation.py loops over every
association schema, the template and public.
May import: relier_platform's core, tenants.models, tracking.models."""
