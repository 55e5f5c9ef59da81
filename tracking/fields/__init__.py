"""Custom fields: the questions an association adds to its case and interaction forms, and
the check of their values on every write.

Schema: tenant (definitions here; values in the `custom` column of the record).
May import: tracking's shared modules, relier_platform's core."""
