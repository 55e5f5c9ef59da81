"""The import of an association's existing data: reading files (CSV, XLSX streamed, under
resource limits in a forked child), mapping columns, validating rows and committing them
through tracking's checks; the import pages (views.py, urls.py) and the tasks that
validate and commit a run (tasks.py).

Schema: tenant (the rows land in the association's schema).
May import: relier_platform's core, tenants.models, tracking's models and validation."""
