"""Generation views, by topic: the create page and its fragments (create), the status cards'
refresh and actions (status). Every object is fetched through ``ltxdash.access``."""

from ltxdash.generations.views.create import create
from ltxdash.generations.views.status import cancel, card, refresh, retry

__all__ = ["cancel", "card", "create", "refresh", "retry"]
