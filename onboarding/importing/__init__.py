"""Importing an association's existing data: cases from CSV, XLSX or a Monday.com board.

Schema: tenant. The `onboarding` app lives in public, but this package only ever runs on
an association's host or in a task stamped with its schema: it reads and writes that
association's tracking tables (and `tracking.ImportRun`, where the uploaded file is kept,
in the same schema), never another's.

- `parsing`: a file's bytes → a table of rows (encodings, delimiters, Monday.com groups,
  limits, malformed files).
- `xlsx`: an XLSX's first sheet → its rows, read as a stream within fixed bounds.
- `isolation`: a function run in a child process under a memory and CPU limit (where
  `parsing` reads a file).
- `targets`: what a column can become (case fields, custom fields), suggestions from the
  headers, matching of list values by label or code.
- `rows`: every row checked and turned into the values of a case, without writing.
- `services`: upload, mapping, dry run and the all-or-nothing commit, with the report.
"""
