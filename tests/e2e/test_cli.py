"""The `rada` command as a newcomer runs it: a fresh data folder, the embedded PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.cli import HEAD_TIMEOUT_SECONDS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rada(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def fresh_env() -> Iterator[dict[str, str]]:
    """A never-used data folder. Not under pytest's tmp_path: as root, the embedded server runs
    as a `pgserver` user that must traverse the folder's parents, and every pytest run resets
    /tmp/pytest-of-root to 0700."""
    folder = tempfile.mkdtemp(prefix="radacli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADA_")}
    env["RADA_DATA_DIR"] = str(Path(folder) / "d")
    yield env
    shutil.rmtree(folder, ignore_errors=True)


def test_help_explains_every_command(fresh_env: dict[str, str]) -> None:
    """`rada --help` and each command's --help exit 0 and say what they do."""
    top = rada("--help", env=fresh_env)
    assert top.returncode == 0
    for command in ("serve", "migrate", "check"):
        assert command in top.stdout
        sub = rada(command, "--help", env=fresh_env)
        assert sub.returncode == 0 and "usage: rada " + command in sub.stdout


def test_check_reports_database_and_ffmpeg(fresh_env: dict[str, str]) -> None:
    """`rada check` on a fresh folder finds the embedded PostgreSQL and an ffmpeg."""
    out = rada("check", env=fresh_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PostgreSQL" in out.stdout and "embedded" in out.stdout
    assert "ffmpeg version" in out.stdout


def test_bad_setting_is_a_clear_error(fresh_env: dict[str, str]) -> None:
    """A malformed RADA_* variable stops start-up with a message naming it."""
    out = rada("check", env={**fresh_env, "RADA_PORT": "eighty"})
    assert out.returncode == 2 and "RADA_PORT" in out.stderr


def test_serve_answers_healthz_then_stops_on_sigterm(fresh_env: dict[str, str]) -> None:
    """`rada serve` on a machine that never ran it answers /healthz; SIGTERM stops it cleanly,
    the embedded PostgreSQL with it. The start-up time is printed (acceptance: < 10 s)."""
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestrator.cli", "serve", "--port", str(port)],
        env=fresh_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = ""
        while time.monotonic() - started < 60 and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        print(f"first /healthz answer after {time.monotonic() - started:.2f} s")
        assert '"status": "ok"' in body
        token = Path(fresh_env["RADA_DATA_DIR"], "admin-token")
        assert token.stat().st_mode & 0o777 == 0o600
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "embedded_postgres_stopped" in out
    assert '"level": "error"' not in out, out  # background workers ran cleanly too
    pid_file = Path(fresh_env["RADA_DATA_DIR"], "postgres", "postmaster.pid")
    assert not pid_file.exists()


def test_check_reports_jitsi_and_mail_settings(fresh_env: dict[str, str]) -> None:
    """`rada check` names the Jitsi domain and token issuer it will use, says presence webhooks
    are refused without a secret, and never prints a secret."""
    env = {
        **fresh_env,
        "RADA_JITSI_DOMAIN": "meet.rada.test",
        "RADA_JITSI_APP_ID": "misto",
        "RADA_JITSI_APP_SECRET": "s3cr3t-" * 6,
        "RADA_SMTP_HOST": "smtp.rada.test",
    }
    out = rada("check", env=env)
    assert "https://meet.rada.test" in out.stdout and "iss=misto" in out.stdout
    assert "RADA_JITSI_EVENT_SECRET" in out.stdout
    assert "e-mail: smtp.rada.test:587" in out.stdout
    assert "s3cr3t" not in out.stdout + out.stderr


def test_serve_closes_a_connection_that_never_finishes_its_head(
    fresh_env: dict[str, str],
) -> None:
    """A real socket sends half a request line and nothing more: `rada serve` closes it within
    its head timeout (slowloris), and still answers others meanwhile."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestrator.cli", "serve", "--port", str(port)],
        env=fresh_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = time.monotonic()
        while time.monotonic() - started < 60 and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as slow:
            slow.sendall(b"GET /healthz HT")
            opened = time.monotonic()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                assert r.status == 200
            slow.settimeout(HEAD_TIMEOUT_SECONDS + 5)
            assert slow.recv(1024) == b""  # closed by rada, nothing answered
            assert time.monotonic() - opened < HEAD_TIMEOUT_SECONDS + 3
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
