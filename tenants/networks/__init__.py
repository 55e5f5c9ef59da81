"""Networks and their pooled indicators — everything that computes or publishes them lives
here: joining and withdrawing (services.py), the indicator catalogue (indicators.py), an
association's contribution computed in its own schema (contribution.py), disclosure
control and its solver audit (disclosure.py, disclosure_audit.py), the publication run
(publication.py, tasks.py), what may be read of it (selectors.py), the association's page
and its own figures beside its networks' (views.py) and the coordinators' console
(console.py, public host) and its API (api.py: the console's figures and CSV as
/api/v1/networks/{id}/indicators/ on the public host).

Schema: public for networks and publications; contribution.py runs in one association's
schema and returns counts by network code only.
May import: relier_platform's core, tenants.models, tenants.tenancy, tenants.outbox,
tracking's models, access rules, school years and exports (CSV neutralising), and — in
api.py only — the REST API's shared view, query serializer and renderers (tracking.api)."""
