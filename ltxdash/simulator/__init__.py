"""The built-in LTX API simulator: ltxdash's API when no ``LTX_API_KEY`` is set, and in tests.

It speaks the documented v2 contract over HTTP (submit 202 ``{id, created_at}``; poll
pending -> processing -> completed | failed; 404 for unknown ids, ids under another endpoint and
jobs past their retention; the error envelope ``{"type": "error", "error": {type, message}}``;
``x-request-id`` on every answer; ``POST /v1/upload`` + a pre-signed PUT; 429
``concurrency_limit_error`` with ``Retry-After``). Every completed job has a real file: an H.264
MP4 with the prompt drawn in it (AAC tone when ``generate_audio`` is true) or, for
video-to-video-hdr, a ZIP of OpenEXR frames. State is one SQLite file in the state directory, so
it survives restarts and can be shared by several server processes.

Start it: ``python manage.py simulate_ltx --port 8001 [--host H] [--state-dir D] [--pending S]
[--processing S] [--retention S] [--concurrency N]``; in tests, the ``ltx_simulator`` fixture
(tests/fixtures/simulator.py). Start-up sets the runtime config to the start-up values (command
line, else the ``LTXDASH_SIM_*`` settings); jobs and uploads are kept.

Prompt markers (anywhere in ``prompt``, any case):
    [reject]        the submit is answered 422 content_filtered_error (no job is made)
    [filter]        the job is accepted, then fails with content_filtered_error
    [funds]         the job is accepted, then fails with insufficient_funds_error
    [fail]          the job is accepted, then fails with api_error
    [size=512M]     the MP4 is padded to this many bytes (K/M/G are powers of 1024)

Runtime knobs (``GET/POST /_sim/config``, JSON; see config.SimConfig):
    pending_seconds, processing_seconds   timing of new jobs (0 is fine)
    retention_seconds                     how long finished jobs and their files stay readable
    concurrency                           unfinished jobs allowed at once; 0 = unlimited
    error_rate                            fraction answered 500 api_error / 503 service_unavailable
    reset_rate                            fraction whose connection is closed without an answer
                                          (a reset submit still creates its job, first)
    rate_limit_rate, retry_after_seconds  fraction answered 429 rate_limit_error + Retry-After
    truncate_rate                         fraction of downloads cut off at half their length
    delay_seconds                         every targeted request waits this long first
    fault_targets                         which of submit/poll/download/upload the above hit
    fault_limit                           how many of those faults may still fire; -1 = no limit
    invalid_key, rejected_keys            everything 401 / these keys 401
    forbidden_keys                        these keys 403 (type ``permission_error``)
    out_of_credits                        submits answered 402 insufficient_funds_error
    accounts                              keys with their own concurrency, out_of_credits and
                                          invalid_key: {"<key>": {"concurrency": 1}} (below)
    output_pad_bytes                      grow every MP4 to this size (a trailing ``free`` box)
    max_clip_seconds                      longest clip actually rendered (default 10)

Control API (no key, never faulted): ``GET /_sim/health``,
``GET /_sim/jobs[?endpoint=&account=<fingerprint>]``, ``GET /_sim/stats``, ``POST /_sim/reset``,
``POST /_sim/jobs/<id>/expire``.

Accounts (accounts.py): each API key is its own account, with its own jobs (another key polling
one gets the 404 of an unknown job) and its own concurrency limit, credits and validity, the
global knobs unless ``accounts`` sets them for that key. Uploads and result files are shared.
Accounts are shown by a fingerprint (the first 12 hex digits of the key's SHA-256), never by key.

Inputs (``*_uri``): upload ``storage_uri``s and ``data:`` URIs are decoded, probed with
``ltxdash.media.probe`` and checked by ``catalog.validate``; ``https://`` URLs are accepted
without being fetched or checked (the simulator never goes to the network).

Rendered clips are small (long side 320 px, the requested aspect ratio and fps, the requested
duration up to ``max_clip_seconds``) and cached under ``<state dir>/cache`` by their visible
parameters, so identical jobs share one render.
"""
