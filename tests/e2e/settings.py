"""Settings for the qcluster processes of the end-to-end tests.

The environment (set by the test) already points them at their own database, broker, data
directory and the simulator; this only shrinks the pipeline's timings so that a killed worker
is noticed in seconds, and gives the cluster its own name (its own broker queue).
"""

from ltxdash.settings import *  # noqa: F403

Q_CLUSTER = {
    **Q_CLUSTER,  # noqa: F405
    "name": "ltxdash-e2e",
    "timeout": 120,
    "retry": 150,
    "max_attempts": 1,
}
if "orm" in Q_CLUSTER:
    Q_CLUSTER["poll"] = 0.05

LTXDASH_PIPELINE_CLAIM_SECONDS = 3.0
LTXDASH_PIPELINE_PICKUP_SECONDS = 8.0
LTXDASH_POLLER_LEASE_SECONDS = 2.0
LTXDASH_POLLER_LOOP_SECONDS = 15.0  # several hand-overs happen during a run
LTXDASH_PIPELINE_PROBE_SECONDS = 1.0
LTXDASH_PIPELINE_REHOST_RETRY_SECONDS = 0.5
LTXDASH_PIPELINE_FASTSTART_WINDOW_SECONDS = 10.0  # a killed rewrite is enqueued again soon
LTXDASH_PIPELINE_FASTSTART_RETRY_SECONDS = 0.5

# The deployment test's gunicorn processes render pages: static files straight from the source
# tree (no collectstatic into the checkout), served by whitenoise as in production.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
