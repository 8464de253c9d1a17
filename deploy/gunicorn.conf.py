"""gunicorn's settings for an ltxdash web machine behind nginx (README, "Production recipe").

    gunicorn ltxdash.wsgi -c deploy/gunicorn.conf.py

Options given on the command line win over these (the multi-process test passes its own
``--bind`` and ``--workers``). ``WEB_CONCURRENCY`` sets the number of worker processes.
"""

import multiprocessing
import os

bind = "127.0.0.1:8000"  # nginx on the same machine (deploy/nginx/ltxdash.conf)
# About two processes per core: one slow or crashed process never holds everything.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "gthread"
threads = 8
timeout = 120  # nginx's proxy_read_timeout is a little longer (130 s)
graceful_timeout = 20
keepalive = 5
# Trust X-Forwarded-* from nginx on this machine only (LTXDASH_HTTPS=1 reads them).
forwarded_allow_ips = "127.0.0.1"
# Share-link and password-reset tokens are redacted before any line is written.
logger_class = "ltxdash.core.gunicorn_logging.GunicornLogger"
accesslog = "-"
errorlog = "-"
