"""The generations app's models. Each lifecycle owns its rules:

* ``states``: a generation's states, where each may move, and what each allows and looks like;
* ``generation``: ``Generation`` (the state machine's transitions), its inputs, outputs, events;
* ``dispatch``: ``DispatchState``: pausing, holding, probing and resuming the dispatcher.
"""

from ltxdash.generations.models.dispatch import ACCOUNT_FAILURES, DispatchState, Probe, Reason
from ltxdash.generations.models.generation import (
    Generation,
    GenerationEvent,
    GenerationInput,
    Output,
)
from ltxdash.generations.models.states import (
    ACTIVE,
    CANCELABLE,
    COPYABLE,
    IN_FLIGHT,
    POLLED,
    PROBLEMS,
    RETRYABLE,
    TERMINAL,
    TRANSITIONS,
    ErrorType,
    IllegalTransition,
    State,
)

__all__ = [
    "ACCOUNT_FAILURES",
    "ACTIVE",
    "CANCELABLE",
    "COPYABLE",
    "IN_FLIGHT",
    "POLLED",
    "PROBLEMS",
    "RETRYABLE",
    "TERMINAL",
    "TRANSITIONS",
    "DispatchState",
    "ErrorType",
    "Generation",
    "GenerationEvent",
    "GenerationInput",
    "IllegalTransition",
    "Output",
    "Probe",
    "Reason",
    "State",
]
