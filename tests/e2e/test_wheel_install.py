"""An operator's install: the built wheel, no extras, in a fresh virtual environment.

A test-only import on a runtime path (a package from the ``test`` extra) or a file missing from
the wheel's package data breaks this test, not a council's server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys
names = []
for top in ("orchestrator", "identity", "recording"):
    package = importlib.import_module(top)
    names.append(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        names.append(info.name)
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    return _finish(_start(*args, env=env))


def _start(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(a) for a in args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def _finish(process: subprocess.Popen[str]) -> str:
    """Its output once it has exited with 0."""
    try:
        out, err = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, f"{process.args}: {out[-2000:]}\n{err[-4000:]}"
    return out


@pytest.fixture(scope="module")
def installed() -> Iterator[Path]:
    """A fresh venv with the locked dependencies (``requirements.lock``, hashes required) and
    the wheel built from this checkout, installed without extras: the README's deployment steps.

    Not under pytest's tmp_path: as root, the embedded PostgreSQL runs as a ``pgserver`` user
    that must traverse the folder's parents."""
    folder = Path(tempfile.mkdtemp(prefix="radawheel"))
    try:
        # the wheel builds (9 s) while the venv is made and the lock installed (35 s); the lock's
        # modules are not compiled to .pyc ahead (9 s): whatever the tests import compiles then
        build = _start(
            sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", folder / "dist", ROOT
        )
        try:
            _run(sys.executable, "-m", "venv", folder / "venv")
            pip = folder / "venv/bin/pip"
            lock = ROOT / "requirements.lock"
            _run(pip, "install", "-q", "--no-compile", "--require-hashes", "-r", lock)
        finally:
            _finish(build)
        wheels = list((folder / "dist").glob("rada-*.whl"))
        assert len(wheels) == 1
        _run(pip, "install", "-q", "--no-deps", wheels[0])
        _run(pip, "check")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_no_test_package_in_a_plain_install(installed: Path) -> None:
    """The plain install has none of the ``test`` extra's packages, yet every rada module imports."""
    listed = _run(installed / "venv/bin/pip", "list", "--format=freeze").lower()
    for test_only in ("pytest", "hypothesis", "playwright", "moto", "pypdf"):
        assert f"\n{test_only}==" not in f"\n{listed}", test_only
    out = _run(installed / "venv/bin/python", "-c", IMPORT_EVERY_MODULE, env=_env(installed))
    assert int(out.strip()) > 50


def _env(installed: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RADA_")}
    env["RADA_DATA_DIR"] = str(installed / "data")
    env.pop("PYTHONPATH", None)
    return env


def test_check_and_demo_help_run(installed: Path) -> None:
    """``rada check`` and ``rada demo --help`` run from the plain install."""
    env = _env(installed)
    check = subprocess.run(
        [installed / "venv/bin/rada", "check"],
        capture_output=True, text=True, timeout=300, env=env, cwd=installed, check=False,
    )  # fmt: skip
    assert "database: PostgreSQL" in check.stdout, check.stdout + check.stderr
    assert "ffmpeg:" in check.stdout
    demo = _run(installed / "venv/bin/rada", "demo", "--help", env=env)
    assert "usage: rada demo" in demo


def test_serve_answers_healthz_and_pages(installed: Path) -> None:
    """``rada serve`` from the plain install starts its embedded PostgreSQL, answers /healthz 200,
    and serves the home page and the consoles' scripts from the wheel's package data."""
    port = _free_port()
    env = _env(installed)
    log = installed / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [installed / "venv/bin/rada", "serve", "--port", str(port)],
            env=env, cwd=installed, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:  # noqa: S310
                    status = r.status
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200, log.read_text(errors="replace")[-4000:]
        with urllib.request.urlopen(f"{base}/", timeout=5) as r:  # noqa: S310
            assert "<html" in r.read().decode()
        for asset in (
            "/static/rada.css",
            "/static/conduct/chair.js",
            "/static/identity/participant.js",
            "/static/livestate.js",
        ):
            with urllib.request.urlopen(base + asset, timeout=5) as r:  # noqa: S310
                assert r.status == 200, asset
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
