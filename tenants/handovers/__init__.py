"""Hand-overs of a young person between two associations of a network, their public half:
the record that travels from the sending association to the receiving one (models.py),
its summary sealed with a key only the receiving association's pages open (crypto.py),
and the reads of it (selectors.py). What each association keeps in its own file lives in
tracking.handovers, which also holds the services that write both halves at once.

Schema: public. The summary is personal data of a young person: it is readable by the
receiving association alone, and it is destroyed as soon as the hand-over is decided
(accepted, refused, withdrawn or expired); the row that remains says only who sent what
to whom, when, and how it ended.
May import: relier_platform's core, tenants.models, tenants.keys, tenants.networks'
models."""
