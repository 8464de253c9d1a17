"""The generation pipeline: from "a user asked for a clip" to "a verified copy is stored".

Views and admin call the functions re-exported here; workers run ``ltxdash.generations.tasks``,
which are thin wrappers around the modules of this package:

* ``actions``   create, cancel, retry, copy again, delete
* ``ordering``  the fair order of the queue, queue positions, time estimates
* ``dispatch``  submitting queued generations within the concurrency limit; pausing on account errors
* ``poller``    polling every in-flight job that is due, in one concurrent pass
* ``rehost``    copying outputs into our storage, the retention watch
* ``loop``      the self-renewing loop that runs all of it, under the "poller" lease
"""

from ltxdash.generations.pipeline.actions import (
    InputSource,
    PipelineError,
    Still,
    cancel,
    copy_again,
    create_generations,
    delete_generation,
    retry,
)
from ltxdash.generations.pipeline.ordering import (
    estimate_seconds_left,
    queue_position,
    queue_positions,
)

__all__ = [
    "InputSource",
    "PipelineError",
    "Still",
    "cancel",
    "copy_again",
    "create_generations",
    "delete_generation",
    "estimate_seconds_left",
    "queue_position",
    "queue_positions",
    "retry",
]
