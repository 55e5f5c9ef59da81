"""Exchange groups, their sessions and attendance (only young people whose consent allows
the groups take part).

Schema: tenant.
May import: tracking's shared modules, relier_platform's core."""
