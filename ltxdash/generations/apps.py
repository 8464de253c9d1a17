import logging

from django.apps import AppConfig
from django.db import DatabaseError

logger = logging.getLogger(__name__)

WATCHDOG_SCHEDULE = "ltxdash: pipeline watchdog"


def ensure_schedules(using: str = "default", **kwargs) -> None:
    """The once-a-minute watchdog that restarts the pipeline loop if it ever dies."""
    from django_q.models import Schedule

    try:
        Schedule.objects.using(using).update_or_create(
            name=WATCHDOG_SCHEDULE,
            defaults={
                "func": "ltxdash.generations.tasks.watchdog",
                "schedule_type": Schedule.MINUTES,
                "minutes": 1,
                "repeats": -1,
            },
        )
    except DatabaseError:  # django_q's tables are not there (e.g. migrating backwards)
        logger.warning("Could not create the pipeline watchdog schedule", exc_info=True)


def start_poller_on_spawn(**kwargs) -> None:
    """A worker just started (a cluster start or restart): make sure a pipeline loop runs
    rather than waiting up to a minute for the watchdog."""
    from ltxdash.generations.tasks import start_poller_if_needed

    try:
        start_poller_if_needed()
    except Exception:  # the watchdog schedule will catch up; never stop a worker over it
        logger.warning("Could not check the pipeline loop", exc_info=True)


class GenerationsConfig(AppConfig):
    name = "ltxdash.generations"
    label = "generations"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django_q.signals import post_spawn

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="ltxdash-watchdog")
        post_spawn.connect(start_poller_on_spawn, dispatch_uid="ltxdash-start-poller")
