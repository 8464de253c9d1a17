"""Generation views, by topic: the create page and its fragments (create), the status cards'
refresh and actions (status). ``get_own_generation`` is the one way to fetch a generation."""

from ltxdash.generations.views.common import get_own_generation
from ltxdash.generations.views.create import create
from ltxdash.generations.views.status import cancel, card, refresh, retry

__all__ = ["cancel", "card", "create", "get_own_generation", "refresh", "retry"]
