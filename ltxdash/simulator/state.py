"""The simulator's state: one SQLite file in the state directory.

Several server threads, and several server processes, may share one state directory, so every
piece of state lives here (jobs, uploads, counters, the runtime config) and every change is a
single statement or a short ``BEGIN IMMEDIATE`` transaction. A job's status is not stored: it is
computed from the clock and the timings snapshotted at submit, so nothing has to "advance" jobs
and a restarted server carries on exactly where the old one stopped.

The schema only grows, and without migrations: tables are created if they do not exist and
columns added if they are missing (``_COLUMNS``), so the state directory of an older simulator
keeps working. Its jobs predate accounts (``account`` is NULL) and answer to any key.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .accounts import FINGERPRINT_LENGTH, short
from .config import SimConfig

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    body TEXT NOT NULL,
    prompt TEXT,
    created_at REAL NOT NULL,
    processing_at REAL NOT NULL,
    terminal_at REAL NOT NULL,
    expired_at REAL,
    outcome TEXT NOT NULL,
    error_type TEXT,
    error_message TEXT,
    result_key TEXT,
    result_name TEXT,
    render_key TEXT,
    render_spec TEXT,
    polls INTEGER NOT NULL DEFAULT 0,
    downloads INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_terminal_at ON jobs (terminal_at);
CREATE TABLE IF NOT EXISTS uploads (
    id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    created_at REAL NOT NULL,
    url_expires_at REAL NOT NULL,
    uploaded_at REAL,
    size INTEGER,
    content_type TEXT
);
CREATE TABLE IF NOT EXISTS submit_attempts (prompt TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS account_counters (
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (account, name)
);
CREATE TABLE IF NOT EXISTS config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL,
    fault_budget INTEGER NOT NULL DEFAULT -1
);
"""

# Columns added since the first schema, added to an older database's tables when it is opened:
# (table, column, declaration).
_COLUMNS = (
    # The account (accounts.account_id of the key) that submitted the job; NULL before accounts.
    ("jobs", "account", "TEXT"),
    # Polls of the job by key, {fingerprint: count}, polls answered 404 for a wrong key included.
    ("jobs", "polls_by_account", "TEXT NOT NULL DEFAULT '{}'"),
    # Outputs beside result_key's: {result key: [file name, render spec]} (HDR's MP4).
    ("jobs", "extra_results", "TEXT NOT NULL DEFAULT '{}'"),
    # When the job was last polled, and the longest wait between two polls of it (the first
    # counted from its creation): how well a poller kept time, for the load test.
    ("jobs", "last_polled_at", "REAL"),
    ("jobs", "poll_gap_max", "REAL NOT NULL DEFAULT 0"),
)
# Indexes on those columns (made once the columns exist).
_INDEXES = """
CREATE INDEX IF NOT EXISTS jobs_account_terminal_at ON jobs (account, terminal_at);
"""

# Columns the poll needs, in one indexed statement that also counts the poll.
_POLL_COLUMNS = (
    "id, endpoint, created_at, processing_at, terminal_at, expired_at, outcome, "
    "error_type, error_message, result_key, result_name, account, extra_results"
)

# The poll: counted (in polls only when the job answers to the poller) and read back.
_POLL = (
    f"UPDATE jobs SET polls = polls + (account IS NULL OR account = :account), "  # noqa: S608
    "polls_by_account = json_set(polls_by_account, :path, "
    "COALESCE(json_extract(polls_by_account, :path), 0) + 1), "
    # Only the job's own poller's polls, up to the first one after the job ended: its cadence.
    "poll_gap_max = CASE WHEN (account IS NULL OR account = :account) "
    "AND COALESCE(last_polled_at, created_at) < terminal_at "
    "THEN MAX(poll_gap_max, :now - COALESCE(last_polled_at, created_at)) ELSE poll_gap_max END, "
    "last_polled_at = CASE WHEN account IS NULL OR account = :account "
    "THEN :now ELSE last_polled_at END "
    f"WHERE id = :id AND endpoint = :endpoint RETURNING {_POLL_COLUMNS}"
)


class ConcurrencyLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class JobState:
    """What a job looks like at one moment."""

    status: str | None  # pending | processing | completed | failed; None once it is gone (404)
    completed_at: float | None


def job_state(row: sqlite3.Row | dict, now: float, retention: float) -> JobState:
    if row["expired_at"] is not None and row["expired_at"] <= now:
        return JobState(None, None)
    if now < row["processing_at"]:
        return JobState("pending", None)
    if now < row["terminal_at"]:
        return JobState("processing", None)
    if now >= row["terminal_at"] + retention:
        return JobState(None, None)
    return JobState(row["outcome"], row["terminal_at"])


class Store:
    def __init__(self, state_dir: Path) -> None:
        self.dir = Path(state_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "simulator.sqlite3"
        self._local = threading.local()
        self._config_cache: tuple[str, SimConfig] | None = None
        conn = self.conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        self._add_missing_columns()
        conn.executescript(_INDEXES)

    def _add_missing_columns(self) -> None:
        # In one transaction: another process opening the same directory adds them only once.
        with self.transaction() as conn:
            for table, column, declaration in _COLUMNS:
                present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    # --- connections ---------------------------------------------------------------------------
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened once per thread: the poll path stays one query)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- config --------------------------------------------------------------------------------
    def config(self) -> SimConfig:
        row = self.conn().execute("SELECT data FROM config WHERE id = 1").fetchone()
        if row is None:
            return SimConfig()
        cached = self._config_cache
        if cached is not None and cached[0] == row["data"]:
            return cached[1]
        config = SimConfig.from_dict(json.loads(row["data"]))
        self._config_cache = (row["data"], config)
        return config

    def save_config(self, config: SimConfig) -> None:
        """Store ``config``; its fault_limit also refills the fault budget."""
        self.conn().execute(
            "INSERT INTO config (id, data, fault_budget) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data, fault_budget = excluded.fault_budget",
            (json.dumps(config.to_dict()), config.fault_limit),
        )

    def fault_budget(self) -> int:
        row = self.conn().execute("SELECT fault_budget FROM config WHERE id = 1").fetchone()
        return -1 if row is None else row["fault_budget"]

    def take_fault(self) -> bool:
        """Spend one fault from the budget; False when a limited budget is used up."""
        cur = self.conn().execute(
            "UPDATE config SET fault_budget = fault_budget - 1 WHERE id = 1 AND fault_budget > 0 "
            "RETURNING fault_budget"
        )
        if cur.fetchone() is not None:
            return True
        return self.fault_budget() == -1

    # --- counters ------------------------------------------------------------------------------
    def bump(self, name: str, by: int = 1) -> None:
        self.conn().execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (name, by),
        )

    def counters(self) -> dict[str, int]:
        rows = self.conn().execute("SELECT name, value FROM counters ORDER BY name")
        return {row["name"]: row["value"] for row in rows}

    def count_attempt(self, prompt: str) -> None:
        """One POST /v2/... request, whatever became of it (faults and refusals included)."""
        self.conn().execute(
            "INSERT INTO submit_attempts (prompt, n) VALUES (?, 1) "
            "ON CONFLICT (prompt) DO UPDATE SET n = n + 1",
            (prompt,),
        )

    def attempts_by_prompt(self) -> dict[str, int]:
        rows = self.conn().execute("SELECT prompt, n FROM submit_attempts ORDER BY prompt")
        return {row["prompt"]: row["n"] for row in rows}

    def bump_account(self, account: str, name: str, by: int = 1) -> None:
        """A counter of one account (``account`` is its id)."""
        self.conn().execute(
            "INSERT INTO account_counters (account, name, value) VALUES (?, ?, ?) "
            "ON CONFLICT (account, name) DO UPDATE SET value = value + excluded.value",
            (account, name, by),
        )

    def account_counters(self) -> dict[str, dict[str, int]]:
        """Account id -> its counters."""
        counters: dict[str, dict[str, int]] = {}
        rows = self.conn().execute(
            "SELECT account, name, value FROM account_counters ORDER BY account, name"
        )
        for row in rows:
            counters.setdefault(row["account"], {})[row["name"]] = row["value"]
        return counters

    # --- jobs ----------------------------------------------------------------------------------
    def create_job(self, job: dict[str, Any], concurrency: int, now: float) -> None:
        """Insert ``job`` unless its account has ``concurrency`` unfinished jobs
        (ConcurrencyLimited)."""
        with self.transaction() as conn:
            if concurrency:
                row = conn.execute(
                    "SELECT COUNT(*) AS n, MIN(terminal_at) AS first FROM jobs "
                    "WHERE account = ? AND terminal_at > ? AND (expired_at IS NULL OR expired_at > ?)",
                    (job["account"], now, now),
                ).fetchone()
                if row["n"] >= concurrency:
                    raise ConcurrencyLimited(max(1, math.ceil(row["first"] - now)))
            columns = ", ".join(job)
            marks = ", ".join("?" for _ in job)
            conn.execute(f"INSERT INTO jobs ({columns}) VALUES ({marks})", tuple(job.values()))  # noqa: S608 (our own column names)

    def poll_job(self, job_id: str, endpoint: str, account: str) -> sqlite3.Row | None:
        """The job, or None if no job has this id under this endpoint.

        The poll is counted under the fingerprint of ``account`` (the poller's id) in
        ``polls_by_account`` whoever owns the job, and in ``polls`` only when the job answers to
        that account: the caller answers 404 to any other (``row["account"]`` says whose it is).
        """
        return (
            self.conn()
            .execute(
                _POLL,
                {
                    "account": account,
                    "path": f'$."{short(account)}"',
                    "id": job_id,
                    "endpoint": endpoint,
                    "now": time.time(),
                },
            )
            .fetchone()
        )

    def job(self, job_id: str, count_download: bool = False) -> sqlite3.Row | None:
        if count_download:
            return (
                self.conn()
                .execute(
                    "UPDATE jobs SET downloads = downloads + 1 WHERE id = ? RETURNING *", (job_id,)
                )
                .fetchone()
            )
        return self.conn().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()

    def expire_job(self, job_id: str, now: float) -> bool:
        cur = self.conn().execute("UPDATE jobs SET expired_at = ? WHERE id = ?", (now, job_id))
        return cur.rowcount > 0

    def jobs(self) -> list[sqlite3.Row]:
        return self.conn().execute("SELECT * FROM jobs ORDER BY created_at, rowid").fetchall()

    def submits_by_prompt(self) -> dict[str, int]:
        rows = self.conn().execute(
            "SELECT COALESCE(prompt, '') AS prompt, COUNT(*) AS n FROM jobs GROUP BY 1 ORDER BY 1"
        )
        return {row["prompt"]: row["n"] for row in rows}

    def totals(self) -> dict[str, int]:
        row = (
            self.conn()
            .execute(
                "SELECT COUNT(*) AS jobs, COALESCE(SUM(polls), 0) AS polls, "
                "COALESCE(SUM(downloads), 0) AS downloads FROM jobs"
            )
            .fetchone()
        )
        return dict(row)

    def accounts(self, now: float) -> dict[str, dict[str, Any]]:
        """Account id -> submits (jobs), in_flight and polls (polls by its key, of any job)."""
        accounts: dict[str, dict[str, Any]] = {}
        rows = self.conn().execute(
            "SELECT account, COUNT(*) AS submits, "
            "SUM(terminal_at > :now AND (expired_at IS NULL OR expired_at > :now)) AS in_flight "
            "FROM jobs WHERE account IS NOT NULL GROUP BY account",
            {"now": now},
        )
        for row in rows:
            accounts[row["account"]] = {"submits": row["submits"], "in_flight": row["in_flight"]}
        return accounts

    def polls_by_fingerprint(self) -> dict[str, dict[str, int]]:
        """Fingerprint of a poller -> polls (of any job) and foreign_polls (of other keys' jobs)."""
        rows = self.conn().execute(
            "SELECT polled.key AS fingerprint, SUM(polled.value) AS polls, "
            "SUM(CASE WHEN jobs.account IS NULL OR substr(jobs.account, 1, :length) = polled.key "
            "THEN 0 ELSE polled.value END) AS foreign_polls "
            "FROM jobs, json_each(jobs.polls_by_account) AS polled GROUP BY polled.key",
            {"length": FINGERPRINT_LENGTH},
        )
        return {
            row["fingerprint"]: {"polls": row["polls"], "foreign_polls": row["foreign_polls"]}
            for row in rows
        }

    def in_flight(self, now: float) -> int:
        row = (
            self.conn()
            .execute(
                "SELECT COUNT(*) AS n FROM jobs WHERE terminal_at > ? "
                "AND (expired_at IS NULL OR expired_at > ?)",
                (now, now),
            )
            .fetchone()
        )
        return row["n"]

    # --- uploads -------------------------------------------------------------------------------
    def create_upload(self, upload_id: str, token: str, now: float, url_ttl: float) -> None:
        self.conn().execute(
            "INSERT INTO uploads (id, token, created_at, url_expires_at) VALUES (?, ?, ?, ?)",
            (upload_id, token, now, now + url_ttl),
        )

    def upload(self, upload_id: str) -> sqlite3.Row | None:
        return self.conn().execute("SELECT * FROM uploads WHERE id = ?", (upload_id,)).fetchone()

    def mark_uploaded(self, upload_id: str, size: int, content_type: str, now: float) -> None:
        self.conn().execute(
            "UPDATE uploads SET uploaded_at = ?, size = ?, content_type = ? WHERE id = ?",
            (now, size, content_type, upload_id),
        )

    # --- everything ----------------------------------------------------------------------------
    def reset(self, config: SimConfig) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM jobs")
            conn.execute("DELETE FROM uploads")
            conn.execute("DELETE FROM counters")
            conn.execute("DELETE FROM account_counters")
            conn.execute("DELETE FROM submit_attempts")
        self.save_config(config)


def now() -> float:
    return time.time()
