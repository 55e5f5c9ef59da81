"""The association's activity figures (activity.py), as a member is shown them (shown.py:
small counts hidden to read-only roles), and the CSV/XLSX exports (exports.py).

Schema: tenant. (The network's pooled indicators are in tenants/networks/.)
May import: tracking's shared modules and models, relier_platform's core."""
