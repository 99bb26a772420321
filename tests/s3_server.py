"""A local S3-compatible server for the object-storage tests: moto's server mode on
127.0.0.1, started in a subprocess and stopped by the fixture. Credentials and endpoint go
through the standard environment variables only (what s3fs/botocore read in production)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

FAKE_SECRET = "test-secret-never-logged"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_env(monkeypatch) -> Iterator[dict[str, str]]:
    """Starts the server; yields the environment (also set in this process) that points
    s3fs at it."""
    pytest.importorskip("s3fs", reason="s3fs is a runtime dependency: pip install -e .")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()  # an earlier test's server is gone
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)


def s3fs_client():
    """A fresh s3fs filesystem reading the current environment (no instance cache)."""
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True)


def make_buckets(*names: str) -> None:
    fs = s3fs_client()
    for name in names:
        fs.mkdir(name)


def child_env(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **env}
