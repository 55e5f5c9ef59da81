"""The programme toward employment with the public employment service: the milestones of
a young person in it (orientation, first interview, training, job or internship, still in
post at 3 and 6 months), on their case, counted in the figures and network indicators.

Schema: tenant.
May import: tracking's shared modules, relier_platform's core."""
