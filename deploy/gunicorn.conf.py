"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py`."""

import multiprocessing
import os

wsgi_app = "relier_platform.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Recycle workers now and then: a worker's memory grows with the associations it has served
# (bench/many_tenants.py; bench/RESULTS.md, "4. Many tenants at once"). The jitter spreads
# the restarts so that the workers do not all restart at once. 0 turns it off. The database
# side is capped apart: DATABASE_CONN_MAX_SCHEMAS (tenants/tenancy/connection_cap.py).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
timeout = 30
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
