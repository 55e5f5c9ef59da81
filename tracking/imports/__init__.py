"""The table of import runs (the file brought in, its mapping and report). The import code
itself lives in onboarding/importing/.

Schema: tenant.
May import: tracking.columns."""
