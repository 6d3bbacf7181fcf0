"""Real rada server processes for the end-to-end tests (started, killed, restarted)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.conftest import ADMIN_TOKEN

STARTUP_ATTEMPTS = 300  # × 0.1 s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """One ``python -m tests.e2e.header_auth_server`` process on its own port."""

    database_url: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)  # extra RADA_* settings
    python_args: list[str] = field(default_factory=list)  # e.g. ["-m", "cProfile", "-o", f]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "RADA_DATABASE_URL": self.database_url,
            "RADA_DATA_DIR": str(self.data_dir),
            "RADA_PORT": str(self.port),
            "RADA_ADMIN_TOKEN": ADMIN_TOKEN,
            "RADA_LOG_LEVEL": "warning",
            "RADA_RECORDING_REQUIRED": "true",
            **self.env,
        }
        with open(self.data_dir / f"server-{self.port}.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, *self.python_args, "-m", "tests.e2e.header_auth_server"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=Path(__file__).parents[2],
            )

    async def start(self) -> None:
        self.process = await asyncio.to_thread(self.spawn)
        async with aiohttp.ClientSession() as http:
            for _ in range(STARTUP_ATTEMPTS):
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}")
                try:
                    async with http.get(self.url + "/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """kill -9: no shutdown handlers, no flush, nothing."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
