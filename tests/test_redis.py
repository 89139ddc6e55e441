"""E3: Redis, which holds the shared rate-limit counts, goes away mid-journey.

A real redis-server and a real gunicorn (the project's gunicorn.conf.py) with REDIS_URL: counts
go to Redis under the HMAC visitor key (never the address); when Redis is stopped, members are
still served — no error page — and the limits stay on, counted in the worker's memory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
import redis

from survey import create_app
from survey.config import TestConfig

from .servers import Phone, free_port, gunicorn

LIMIT = 3


def redis_app():
    """The app gunicorn serves here: test settings, Redis for the limits, a small invitation limit."""
    return create_app(TestConfig, {"REDIS_URL": os.environ["TEST_REDIS_URL"], "RATE_INVITATION": f"{LIMIT} per minute"})


@pytest.fixture
def redis_server():
    """Start a throwaway redis-server on a free port; yield (its address, the process)."""
    executable = shutil.which("redis-server")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [executable, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    with redis.Redis.from_url(address) as client:
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
    try:
        yield address, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_limits_survive_redis_going_away(app, database_url, redis_server):
    address, process = redis_server
    with gunicorn(database_url, 1, app="tests.test_redis:redis_app()", TEST_REDIS_URL=address) as (port, _, errors):
        phone = Phone(port)
        statuses = [phone.request("GET", f"/i/not-a-token-{i}")[0] for i in range(LIMIT + 1)]
        assert statuses == [404] * LIMIT + [429]  # counted, and limited
        phone.connection.close()
        with redis.Redis.from_url(address) as client:
            keys = client.keys("*")
        assert keys, "the counts should be in Redis"
        assert not any(b"127.0.0.1" in key for key in keys)  # the visitor key, never the address

        process.terminate()
        process.wait(timeout=10)
        phone = Phone(port)
        assert phone.request("GET", "/healthz")[0] == 200
        statuses = [phone.request("GET", f"/i/another-token-{i}")[0] for i in range(LIMIT + 1)]
        phone.connection.close()
        assert statuses == [404] * LIMIT + [429]  # still served, still limited: counted in memory now
        assert not any("Traceback" in line for line in errors), "".join(errors)
