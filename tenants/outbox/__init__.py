"""The outbox: tasks a page starts are written in its transaction and sent to the broker
after commit, or by the sweeper once the broker is back (services.py, tasks.py). Its
`enqueue(task_name, ...)` is the one seam between services and tasks: services name a
task, they never import a tasks module.

Schema: public (OutboxTask); each row carries the schema its task runs in.
May import: relier_platform's core, tenants.models."""
