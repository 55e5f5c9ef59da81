"""tracking models (see apps.py for the schema)."""
