"""Documents kept with a case: uploaded on the case's documents page (size limit, a type
allow-list checked on the bytes themselves), encrypted at rest with the association's key
(Fernet, a key of that association alone: tenants.keys.fields.association_keys), stored
through Django's storage API — by default in a table of the association's own schema, or in
an S3-compatible store under the schema's prefix — downloaded only by those who may read the
case (clinical documents: psychologists only), withdrawn (never silently deleted), every
upload, download and withdrawal audited; included in the person's GDPR export and destroyed
by erasure (tracking.privacy).

Schema: tenant (the documents' rows and, by default, their encrypted blobs live in each
association's schema).
May import: tracking's shared modules and models, tracking.cases' selectors, tracking.audit's
services, tenants.keys.fields (the keys), relier_platform's core."""
