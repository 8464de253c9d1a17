"""Plain-language reasons: why a clip did not become a video, and why dispatching is paused.

Written for the person who pressed Generate; the API's own type and message stay on the row
(and in admin) for support. Only words live here: the error types are ``models.ErrorType``,
the pause reasons ``models.Reason``, and the rules about them are on the models.
"""

from __future__ import annotations

from django.utils import timezone

from ltxdash.generations.models import DispatchState, ErrorType, Generation, Reason, State
from ltxdash.spend.models import Approval

_UNKNOWN_ADVICE = (
    "LTX offers no way to look a job up without its id, so we cannot tell whether it was "
    "created (and billed). If a clip does not appear within a few minutes, press Resubmit; "
    "if the first request did go through, LTX may bill both."
)

# A queued clip that met an account problem waits; it needs no retry, only the account fixed.
_QUEUED_ACCOUNT_PROBLEMS: dict[str, str] = {
    ErrorType.INSUFFICIENT_FUNDS: "The LTX account ran out of credits. This clip waits in the "
    "queue and is sent by itself once an admin tops up the account.",
    ErrorType.AUTHENTICATION: "LTX did not accept the API key. This clip waits in the queue and "
    "is sent by itself once an admin fixes the key.",
}

_API_PROBLEMS = {
    ErrorType.CONTENT_FILTERED: "LTX's safety filter refused the prompt or one of the inputs. "
    "Change the wording or the media and try again.",
    ErrorType.INSUFFICIENT_FUNDS: "The LTX account ran out of credits. An admin needs to top up "
    "the account; then retry the clip.",
    ErrorType.AUTHENTICATION: "LTX did not accept the API key. An admin needs to check the key; "
    "then retry the clip.",
    "request_too_large": "The request was too large for LTX. Use smaller input files.",
    "rate_limit_error": "LTX was answering too many requests at once.",
    "concurrency_limit_error": "LTX was running too many clips for this account at once.",
    "api_error": "LTX had an internal error.",
    "service_unavailable": "LTX was temporarily unavailable.",
    "overloaded_error": "LTX is busy.",
}
# Failed jobs whose advice is only "again, later": said once, not "Retrying may work" after it.
_TRY_AGAIN = {"overloaded_error": "LTX is busy, try again in a few minutes."}


def _with_message(text: str, message: str) -> str:
    message = (message or "").strip()
    return f"{text} LTX said: “{message}”" if message else text


def reason(generation: Generation) -> str:
    """Why this clip is not (or not yet) a video, in a sentence or three; "" when nothing to say."""
    state, kind, message = generation.state, generation.error_type, generation.error_message
    if state == State.REJECTED:
        if kind == ErrorType.INVALID_REQUEST:
            return _with_message("LTX refused the request as invalid.", message)
        if kind == ErrorType.INPUT_MISSING:
            return message or "An input file of this clip is no longer stored."
        if kind == ErrorType.UPLOAD_FAILED:
            text = "The input files could not be sent to LTX: LTX refused the upload."
            return f"{text} Details: {message}" if message else text
        if kind == ErrorType.GAVE_UP:
            text = "LTX kept failing to take this clip, so we stopped trying; try again later."
            return f"{text} Details: {message}" if message else text
        if kind in _API_PROBLEMS:
            return _with_message(_API_PROBLEMS[kind], message)
        return _with_message("LTX refused the request.", message)
    if state == State.FAILED:
        if kind == ErrorType.OUTPUT_TOO_LARGE:
            text = (
                "LTX finished the clip, but the output was larger than this server accepts "
                "(LTXDASH_MAX_OUTPUT_BYTES), so no copy was made. An admin can raise the limit; "
                "then retry the clip."
            )
            return f"{text} Details: {message}" if message else text
        if kind == ErrorType.OUTPUT_REFUSED:
            text = (
                "LTX finished the clip, but the output link was refused when we tried to copy "
                "it, so no copy was made. Retrying the clip may work."
            )
            return f"{text} Details: {message}" if message else text
        if kind == ErrorType.OUTPUT_HOST_REFUSED:
            text = (
                "LTX finished the clip, but its output link pointed at an address this server "
                "never fetches from (only public https hosts and the API's own address are "
                "allowed), so no copy was made. Nothing was fetched from it."
            )
            return f"{text} Details: {message}" if message else text
        if kind == ErrorType.OUTPUT_WRONG_TYPE:
            text = (
                "LTX finished the clip, but the file it sent was not the kind of media this "
                "endpoint makes, so it was not kept."
            )
            return f"{text} Details: {message}" if message else text
        if kind == ErrorType.RESULT_UNUSABLE:
            return (
                "LTX finished the clip, but its answer named the output in a way we do not "
                "accept, so no copy was made. Retrying the clip may work; if it keeps "
                "happening, quote the request id to LTX support."
            )
        if kind in (ErrorType.CONTENT_FILTERED, ErrorType.INSUFFICIENT_FUNDS):
            return _with_message(_API_PROBLEMS[kind], message)
        if kind in _TRY_AGAIN:
            return _with_message(_TRY_AGAIN[kind], message)
        base = _API_PROBLEMS.get(kind, "The job failed at LTX.")
        return _with_message(f"{base} Retrying may work.", message)
    if state == State.EXPIRED:
        if kind == ErrorType.RETENTION_ENDED:
            text = (
                "LTX keeps a finished clip for 24 hours, and our copy of it could not be "
                "completed in that time, so the output is lost."
            )
            return f"{text} Last problem: {message}" if message else text
        return (
            "LTX no longer knows this job: it answered “not found”. LTX forgets jobs 24 hours "
            "after they finish, so the output can no longer be fetched. Retry to make it again."
        )
    if state == State.UNKNOWN:
        if kind == ErrorType.WORKER_LOST:
            lead = "The worker sending this clip to LTX stopped after the request went out."
        else:
            lead = "The request was sent to LTX but no answer came back."
        return f"{lead} {_UNKNOWN_ADVICE}"
    if state == State.AWAITING_APPROVAL:
        found = _approval(generation)
        why = f" Why: {found.reason}" if found and found.reason else ""
        return (
            f"Waiting for an admin of the workspace to approve it.{why} Nothing is sent or "
            "spent until then."
        )
    if state == State.DECLINED:
        return (message or "An admin declined it.") + " Nothing was sent or spent."
    if state == State.CANCELED:
        return "Canceled before it was sent to LTX; nothing was billed."
    if state == State.QUEUED and generation.submit_attempts and kind:
        if kind in _QUEUED_ACCOUNT_PROBLEMS:  # nothing to retry: it waits for the account
            return _QUEUED_ACCOUNT_PROBLEMS[kind]
        base = _API_PROBLEMS.get(kind, "The last attempt to send it did not work.")
        return f"{base} It will be sent again shortly."
    if state == State.REHOSTING and message:
        return f"Copying the output is taking longer than usual (it will be retried): {message}"
    return ""


def _approval(generation: Generation) -> Approval | None:
    try:
        return generation.approval
    except Approval.DoesNotExist:
        return None


def approved(generation: Generation) -> str:
    """Who approved a clip that needed it, and their note; "" for any other clip."""
    if generation.state in (State.AWAITING_APPROVAL, State.DECLINED, State.CANCELED):
        return ""
    found = _approval(generation)
    if found is None or found.outcome != Approval.Outcome.APPROVED:
        return ""
    who = found.decided_by.get_username() if found.decided_by else "an admin"
    return f"Approved by {who}" + (f": “{found.note}”" if found.note else ".")


def at_risk(generation: Generation) -> str:
    """For admins: why a clip is marked at risk and what to do; "" for a clip that is not."""
    if not generation.at_risk:
        return ""
    text = "LTX finished this clip a while ago and our copy of it is still not stored."
    if generation.retention_ends_at:
        when = timezone.localtime(generation.retention_ends_at).strftime("%Y-%m-%d %H:%M")
        text += f" LTX deletes the output at {when}; without a copy by then it is lost."
    return (
        f"{text} The workers keep retrying: check that they run (/healthz) and that storage "
        "accepts files."
    )


def pause_headline(dispatch: DispatchState) -> str:
    """The banner's title while dispatching is paused."""
    if dispatch.reason_type in Reason.values:
        return Reason(dispatch.reason_type).label
    return "Sending to LTX is paused"


def pause_owner(dispatch: DispatchState) -> str:
    """Whose key a pause is about (staff see other workspaces' pauses too)."""
    if dispatch.api_key is None:
        return "LTX_API_KEY"
    return f"{dispatch.api_key.workspace}'s own key"


def pause_reason(dispatch: DispatchState) -> str:
    """The banner text while dispatching with a key is paused."""
    if not dispatch.paused:
        return ""
    own = dispatch.api_key_id is not None
    if dispatch.reason_type == Reason.INSUFFICIENT_FUNDS:
        text = "The LTX account is out of credits, so new clips wait in the queue."
        if own:
            advice = (
                "A workspace admin needs to top up the account of the workspace's key; sending "
                "resumes by itself once it works."
            )
        else:
            advice = (
                "An admin needs to top up the account; sending resumes by itself once it works."
            )
    elif dispatch.reason_type == Reason.AUTHENTICATION:
        text = "LTX does not accept the API key, so new clips wait in the queue."
        if own:
            advice = (
                "A workspace admin can replace the key under Members → LTX key; sending resumes "
                "by itself once it works."
            )
        else:
            advice = "An admin needs to fix the key; sending resumes by itself once it works."
    elif dispatch.reason_type == Reason.KEY_UNREADABLE:
        text = "The workspace's LTX key cannot be read, so its new clips wait in the queue."
        advice = (
            "The server's LTXDASH_ENCRYPTION_KEYS no longer holds the key it was stored with: an "
            "operator can put that key back, or a workspace admin can enter the LTX key again "
            "under Members → LTX key."
        )
    elif dispatch.reason_type == Reason.ADMIN:
        text = "An admin paused sending clips to LTX; new clips wait in the queue."
        advice = ""
    else:
        text = "Sending clips to LTX is paused; new clips wait in the queue."
        advice = dispatch.reason_message
    return f"{text} {advice}".strip()
