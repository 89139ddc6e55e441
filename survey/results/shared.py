"""Results kept in Redis, shared by every worker and app server (DESIGN §8: Redis is optional).

Used for work too heavy for a request, such as the equality flags and which comments may identify
someone: the job queue's worker (survey/core/results_ready.py) works them out once after a
release and puts them here; a request that finds them reads a few kilobytes instead of
computing them again. Without REDIS_URL, or when Redis
does not answer, nothing is kept here and the caller computes as before: a dead Redis costs a
request at most half a second, and is then left alone for a while instead of being asked again.

A key names everything its value depends on: the survey's identity (id, slug, creation time,
questionnaire checksum), the snapshot's release batch and size (a withdrawal shrinks a snapshot
without a new batch), the threshold, the language, and a digest of the results engine's own
source, so that a deployment that changes how results are worked out never reads old ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis
from flask import current_app

from .slices import is_slice
from .snapshot import Snapshot
from .stored import identity, identity_text
from .tables import Flag

TIMEOUT = 0.5  # seconds: connecting to and answering from Redis
RETRY_AFTER = 30.0  # seconds: after Redis failed, how long this process leaves it alone
KEPT_FOR = 7 * 24 * 3600  # seconds: how long a value is kept (a new release makes new keys anyway)
PREFIX = "survey:results:"

log = logging.getLogger(__name__)

_clients: dict[str, redis.Redis] = {}
_down_until: dict[str, float] = {}
_guard = threading.Lock()


def _code_version() -> str:
    """Return a digest of the results engine's source (computed once per process)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


CODE_VERSION = _code_version()


def client() -> redis.Redis | None:
    """Return a Redis client for the app's REDIS_URL, or None: none configured, or it failed lately."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    with _guard:
        if time.monotonic() < _down_until.get(url, 0.0):
            return None
        found = _clients.get(url)
        if found is None:
            found = _clients[url] = redis.Redis.from_url(
                url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT, health_check_interval=30
            )
        return found


def _failed(error: Exception) -> None:
    url = current_app.config.get("REDIS_URL") or ""
    with _guard:
        _down_until[url] = time.monotonic() + RETRY_AFTER
    log.warning("Redis at REDIS_URL did not answer (%s); shared results are left alone for %ds", error, RETRY_AFTER)


def get_json(key: str) -> Any | None:
    """Return the value kept under this key, or None (no Redis, no such key, or Redis failed)."""
    found = client()
    if found is None:
        return None
    try:
        raw = found.get(key)
    except redis.RedisError as error:
        _failed(error)
        return None
    return None if raw is None else json.loads(raw)


def set_json(key: str, value: Any, kept_for: int = KEPT_FOR) -> bool:
    """Keep a value under this key for a while; return whether it was kept."""
    found = client()
    if found is None:
        return False
    try:
        found.set(key, json.dumps(value, ensure_ascii=False, separators=(",", ":")), ex=kept_for)
    except redis.RedisError as error:
        _failed(error)
        return False
    return True


def flags_key(survey, snapshot: Snapshot, k: int, language: str) -> str:
    """Return the key of a survey's equality flags (or a slice's) for this snapshot, threshold and language."""
    named = identity_text(identity(survey))
    if is_slice(survey):  # one audience's slice of the survey: its own flags
        named += ":slice=" + ",".join(f"{key}={code}" for key, code in sorted(survey.slice_audience.items()))
    return f"{PREFIX}flags:{CODE_VERSION}:{survey.id}:{named}:{snapshot.batch}:{snapshot.n}:{k}:{language}"


def read_flags(survey, snapshot: Snapshot, k: int, language: str) -> list[Flag] | None:
    """Return the flags kept for this snapshot, or None when none are kept (or can be read)."""
    found = get_json(flags_key(survey, snapshot, k, language))
    return None if found is None else [Flag(**flag) for flag in found]


def keep_flags(survey, snapshot: Snapshot, k: int, language: str, flags: list[Flag]) -> bool:
    """Keep a snapshot's flags for every worker; return whether they were kept."""
    return set_json(flags_key(survey, snapshot, k, language), [dataclasses.asdict(flag) for flag in flags])


def held_key(question_id: str, response_ids: Sequence[str]) -> str:
    """Return the key of which comments of a question may identify someone: named by the comments'
    response ids in the snapshot's order (a new release, a withdrawal or another survey makes a new
    key) and the detector's code."""
    digest = hashlib.sha256("\0".join(response_ids).encode()).hexdigest()[:32]
    return f"{PREFIX}held:{CODE_VERSION}:{question_id}:{digest}"


def read_held(key: str) -> list[int] | None:
    """Return the positions of the comments kept as held under this key, or None when none are kept."""
    return get_json(key)


def keep_held(key: str, positions: list[int]) -> bool:
    """Keep the positions of the held comments for every worker; return whether they were kept."""
    return set_json(key, positions)
