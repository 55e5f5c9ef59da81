"""Awareness sessions in schools and elsewhere: who ran them, for whom, how many pupils.

Schema: tenant.
May import: tracking's shared modules, relier_platform's core."""
