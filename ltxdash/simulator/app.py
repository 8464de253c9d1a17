"""The simulator's WSGI application: the LTX v2 API, the upload flow, result files and /_sim/.

Routes:
    POST /v2/{endpoint}              submit a job (202 {id, created_at})
    GET  /v2/{endpoint}/{id}         poll it
    POST /v1/upload                  get a pre-signed upload URL
    PUT  /_sim/uploads/{id}          the pre-signed URL itself (no API key; required_headers)
    GET  /_sim/files/{id}/{name}     a job's result file (Content-Length, Range)
    GET  /_sim/health | /_sim/config | /_sim/jobs | /_sim/stats
    POST /_sim/config | /_sim/reset | /_sim/jobs/{id}/expire

Every API key is an account of its own (accounts.py): its jobs, its concurrency limit, its
credits, its validity. Uploads and result files are shared by all.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from waitress.channel import ClientDisconnected

from ltxdash.ltx import catalog
from ltxdash.media import probe

from . import control, faults, inputs, result_files, uploads
from .accounts import Account
from .config import SimConfig
from .http import Request, Reset, Response, error_response, iso, json_response
from .jobs import plan_job, rejected_by_filter
from .render import Renderer
from .state import ConcurrencyLimited, Store, job_state

# Raising this makes waitress (the simulator's server, a dependency) close the socket without
# writing a byte.
_DropConnection: type[Exception] = ClientDisconnected

logger = logging.getLogger(__name__)

MAX_BODY = 20 * 1024 * 1024  # larger submits are answered 413 request_too_large


class SimulatorApp:
    def __init__(self, state_dir: Path, startup: SimConfig | None = None) -> None:
        self.store = Store(state_dir)
        self.startup = startup or SimConfig()
        self.store.save_config(self.startup)
        self.renderer = Renderer(self.store.dir / "cache", on_render=self._count_render)
        self.endpoints = frozenset(catalog.ENDPOINTS)

    def _count_render(self, kind: str) -> None:
        self.store.bump("renders")
        self.store.bump(f"renders_{kind}")

    # --- WSGI ----------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.route(request)
        except Reset:
            raise _DropConnection("simulated connection reset") from None
        except Exception:
            logger.exception("simulator error on %s %s", request.method, request.path)
            response = error_response(500, "api_error", "The simulator failed on this request.")
        start_response(
            response.status_line(), [*response.headers, ("x-request-id", uuid.uuid4().hex)]
        )
        body = response.body
        if request.method == "HEAD":
            return [b""]
        if isinstance(body, result_files.FileBody):
            return body.iterable(environ)
        return [body] if isinstance(body, bytes) else body

    # --- routing -------------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        method, parts = request.method, request.path.strip("/").split("/")
        if parts[0] == "v2" and len(parts) in (2, 3) and parts[1] in self.endpoints:
            if len(parts) == 3 and method == "GET":
                return self.api(
                    request, "poll", lambda c, a: self.poll(c, a, request, parts[1], parts[2])
                )
            if len(parts) == 2 and method == "POST":
                return self.api(
                    request, "submit", lambda c, a: self.submit(c, a, request, parts[1])
                )
            return _method_not_allowed(request)
        if parts == ["v1", "upload"]:
            if method != "POST":
                return _method_not_allowed(request)
            return self.api(request, "upload", lambda c, a: self.create_upload(c, a, request))
        if parts[0] == "_sim":
            return self.route_sim(request, parts[1:])
        return error_response(404, "not_found_error", f"No such route: {method} {request.path}")

    def api(
        self, request: Request, kind: str, handler: Callable[[SimConfig, Account], Response]
    ) -> Response:
        """Faults, then the API key check, then the handler (with the key's account)."""
        config = self.store.config()
        key = _bearer_key(request)
        account = config.account(key) if key else None
        if kind == "submit":
            self.store.count_attempt(_prompt_of(request))
            if account is not None:
                self.store.bump_account(account.id, "submit_attempts")
        fault = faults.pick(kind, config, self.store)
        if isinstance(fault, Response):
            return fault
        if fault == faults.RESET and kind != "submit":
            raise Reset
        if account is None:
            response = error_response(
                401,
                "authentication_error",
                "Missing API key: send the header 'Authorization: Bearer <your key>'.",
            )
        elif account.invalid_key or key in config.rejected_keys:
            response = error_response(401, "authentication_error", "Invalid API key.")
        elif key in config.forbidden_keys:
            response = error_response(
                403, "permission_error", "This API key is not allowed to use the API."
            )
        else:
            response = handler(config, account)
        if fault == faults.RESET:
            # A submit's reset comes after the job was created: the client cannot know whether
            # it was, which is exactly the ambiguity a real dropped connection leaves.
            raise Reset
        if response.status >= 400:
            self.store.bump(f"responses_{response.status}")
            if account is not None:
                self.store.bump_account(account.id, f"responses_{response.status}")
        return response

    def route_sim(self, request: Request, parts: list[str]) -> Response:
        method = request.method
        if parts[:1] == ["files"] and len(parts) == 3 and method in ("GET", "HEAD"):
            return result_files.serve(self.store, self.renderer, request, parts[1], parts[2])
        if parts[:1] == ["uploads"] and len(parts) == 2 and method == "PUT":
            fault = faults.pick("upload", self.store.config(), self.store)
            if fault == faults.RESET:
                raise Reset
            if isinstance(fault, Response):
                return fault
            return uploads.receive(self.store, request, parts[1])
        return control.route(self.store, self.startup, request, parts)

    # --- the API -------------------------------------------------------------------------------
    def submit(
        self, config: SimConfig, account: Account, request: Request, endpoint: str
    ) -> Response:
        if (request.content_length or 0) > MAX_BODY:
            return error_response(
                413, "request_too_large", f"The request body is over {MAX_BODY:,} bytes."
            )
        try:
            params = json.loads(request.read_body(MAX_BODY) or b"null")
        except ValueError as exc:
            return error_response(
                400, "invalid_request_error", f"The body is not valid JSON: {exc}"
            )
        if not isinstance(params, dict):
            return error_response(400, "invalid_request_error", "The body must be a JSON object.")

        spec = catalog.ENDPOINTS[endpoint]
        try:
            resolved = inputs.resolve(params, spec.input_roles, self.store, probe)
        except inputs.InputTooLarge as exc:
            return error_response(413, "request_too_large", str(exc))
        errors = resolved.errors
        for name, messages in catalog.validate(endpoint, params, resolved.media).items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            detail = " ".join(
                f"{'' if name == '__all__' else name + ': '}{m}"
                for name, msgs in errors.items()
                for m in msgs
            )
            return error_response(400, "invalid_request_error", detail)
        if rejected_by_filter(params):
            return error_response(
                422, "content_filtered_error", "The prompt was rejected by the safety filters."
            )
        if account.out_of_credits:
            return error_response(
                402, "insufficient_funds_error", "Insufficient credits. Top up your balance."
            )

        plan = plan_job(endpoint, params, resolved.media, config)
        now = time.time()
        job_id = str(uuid.uuid4())
        processing_at = now + config.pending_seconds
        job = {
            "id": job_id,
            "endpoint": endpoint,
            "body": json.dumps(params),
            "prompt": params.get("prompt") if isinstance(params.get("prompt"), str) else None,
            "created_at": now,
            "processing_at": processing_at,
            "terminal_at": processing_at + config.processing_seconds,
            "outcome": plan.outcome,
            "error_type": plan.error_type,
            "error_message": plan.error_message,
            "result_key": plan.result_key,
            "result_name": plan.result_name,
            "render_spec": json.dumps(plan.spec),
            "extra_results": json.dumps({k: [n, s] for k, (n, s) in plan.extra.items()}),
            "account": account.id,
        }
        try:
            self.store.create_job(job, account.concurrency, now)
        except ConcurrencyLimited as exc:
            return error_response(
                429,
                "concurrency_limit_error",
                f"Too many concurrent generations (limit {account.concurrency}). "
                "Please try again later.",
                [("Retry-After", str(exc.retry_after))],
            )
        if plan.outcome == "completed":
            for render in (plan.spec, *(extra for _, extra in plan.extra.values())):
                self.renderer.ensure_in_background(render)
        return json_response(202, {"id": job_id, "created_at": iso(now)})

    def poll(
        self, config: SimConfig, account: Account, request: Request, endpoint: str, job_id: str
    ) -> Response:
        row = self.store.poll_job(job_id, endpoint, account.id)
        if row is not None and row["account"] not in (None, account.id):
            row = None  # another key's job: as unknown to this key as a job that never was
        state = job_state(row, time.time(), config.retention_seconds) if row else None
        if row is None or state is None or state.status is None:
            return error_response(
                404,
                "not_found_error",
                f"Job {job_id} not found under /v2/{endpoint}: unknown, or past its retention.",
            )
        body: dict[str, Any] = {
            "id": row["id"],
            "status": state.status,
            "created_at": iso(row["created_at"]),
        }
        if state.completed_at is not None:  # set once the job is completed or failed
            body["completed_at"] = iso(state.completed_at)
        if state.status == "completed":
            files = f"{request.base_url}/_sim/files/{row['id']}"
            body["result"] = {row["result_key"]: f"{files}/{row['result_name']}"}
            for key, (name, _) in json.loads(row["extra_results"] or "{}").items():
                body["result"][key] = f"{files}/{name}"
        elif state.status == "failed":
            body["error"] = {"type": row["error_type"], "message": row["error_message"]}
        return json_response(200, body)

    def create_upload(self, config: SimConfig, account: Account, request: Request) -> Response:
        upload_id = uuid.uuid4().hex
        token = secrets.token_urlsafe(24)
        now = time.time()
        self.store.create_upload(upload_id, token, now, uploads.URL_TTL)
        return json_response(
            200,
            {
                "upload_url": f"{request.base_url}/_sim/uploads/{upload_id}",
                "storage_uri": f"{inputs.UPLOAD_SCHEME}{upload_id}",
                "expires_at": iso(now + uploads.URL_TTL),
                "required_headers": uploads.required_headers(token),
            },
        )


def _bearer_key(request: Request) -> str | None:
    """The API key of ``Authorization: Bearer <key>``, or None without one."""
    scheme, _, key = (request.header("Authorization") or "").partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def _prompt_of(request: Request) -> str:
    """The prompt of a submit, best effort ("" when there is none or the body is not JSON)."""
    if (request.content_length or 0) > MAX_BODY:
        return ""
    try:
        prompt = json.loads(request.read_body(MAX_BODY)).get("prompt")
    except (ValueError, AttributeError):
        return ""
    return prompt if isinstance(prompt, str) else ""


def _method_not_allowed(request: Request) -> Response:
    return error_response(
        405, "invalid_request_error", f"{request.method} is not allowed on {request.path}."
    )
