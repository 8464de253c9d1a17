"""The generation pipeline: the I/O that takes a clip from "a user asked for it" to "a verified
copy is stored". No rule lives here that a view or the admin needs: states and what they allow
are on the models (``generations/models/``), the queue order and estimates beside them.

Views and admin call the actions re-exported here; workers run ``ltxdash.generations.tasks``,
which are thin wrappers around the modules of this package:

* ``actions``    create, cancel, retry, copy again, delete; pause and resume dispatching
* ``dispatch``   submitting queued generations within the concurrency limit
* ``poller``     polling every in-flight job that is due, in one concurrent pass
* ``rehost``     copying outputs into our storage, the retention watch
* ``faststart``  rewriting stored MP4s with their index first, after the clip is ready
* ``loop``       the self-renewing loop that runs all of it, under the "poller" lease
* ``claims``, ``clients``, ``filestore``, ``taskqueue``: a worker's claim on a row, the LTX
  clients per kind of work, stored files and scratch folders, enqueueing tasks
"""

from ltxdash.generations.pipeline.actions import (
    InputSource,
    PipelineError,
    Still,
    cancel,
    copy_again,
    create_generations,
    delete_generation,
    pause_dispatching,
    resume_dispatching,
    retry,
)

__all__ = [
    "InputSource",
    "PipelineError",
    "Still",
    "cancel",
    "copy_again",
    "create_generations",
    "delete_generation",
    "pause_dispatching",
    "resume_dispatching",
    "retry",
]
