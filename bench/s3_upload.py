"""Upload to S3-compatible storage: rada's S3 client (SigV4-signed, checksummed, streamed from
disk) next to a plain aiohttp PUT of the same file to the same server (no signing, no hashing,
the baseline) and boto3's multipart upload (AWS's client, same piece size), in the same run.
Prints MB/s and the ratio for a single PutObject (the part's
SHA-256 known, as for a recorded part), a multipart upload (each piece hashed before it is
sent), and the peak of Python memory (tracemalloc) during a multipart upload, to show the file
is streamed and never held whole.

    .venv/bin/python bench/s3_upload.py [--size-mb 100] [--rounds 3] [--part-mb 16]

The server is moto's S3 server (test extra) in a child process, so its own memory is not
counted; its speed bounds both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import aiohttp
from boto3.s3.transfer import TransferConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recording.storage.s3 import MiB, S3Client, S3Config, hash_file
from recording.storage.sigv4 import Credentials
from tests.integration.recording.test_s3 import KEY_ID, SECRET, boto


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("moto server did not start")


async def plain_put(http: aiohttp.ClientSession, url: str, path: Path, size: int) -> None:
    with path.open("rb") as body:
        headers = {"Content-Length": str(size)}
        async with http.put(url, data=body, headers=headers) as answer:
            assert answer.status == 200, answer.status


async def main(size_mb: int, rounds: int, part_mb: int) -> None:
    port = free_port()
    server = start_server(port)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        s3 = boto("s3", endpoint)
        s3.create_bucket(Bucket="bench")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "part-0001.mp4"
            with path.open("wb") as out:
                for _ in range(size_mb):
                    out.write(os.urandom(MiB))
            size, sha = hash_file(path)
            credentials = Credentials(KEY_ID, SECRET)
            single = S3Config(endpoint, "bench", credentials, multipart_threshold=size)
            multi = S3Config(
                endpoint, "bench", credentials, part_size=part_mb * MiB, multipart_threshold=0
            )
            timings: dict[str, list[float]] = {
                "plain": [],
                "single": [],
                "multipart": [],
                "boto3": [],
            }
            transfer = TransferConfig(
                multipart_threshold=part_mb * MiB,
                multipart_chunksize=part_mb * MiB,
                max_concurrency=1,
            )
            async with aiohttp.ClientSession() as http:
                clients = {"single": S3Client(http, single), "multipart": S3Client(http, multi)}
                for n in range(rounds):
                    start = time.perf_counter()
                    await plain_put(http, f"{endpoint}/bench/plain-{n}", path, size)
                    timings["plain"].append(time.perf_counter() - start)
                    for name, client in clients.items():
                        start = time.perf_counter()
                        await client.put_file(
                            f"{name}-{n}", path, content_type="video/mp4", size=size, sha256=sha
                        )
                        timings[name].append(time.perf_counter() - start)
                        stored = await client.head_object(f"{name}-{n}")
                        assert stored is not None and stored.sha256 == sha
                        s3.delete_object(Bucket="bench", Key=f"{name}-{n}")
                    s3.delete_object(Bucket="bench", Key=f"plain-{n}")
                    start = time.perf_counter()
                    await asyncio.to_thread(
                        s3.upload_file, str(path), "bench", f"boto3-{n}", Config=transfer
                    )
                    timings["boto3"].append(time.perf_counter() - start)
                    s3.delete_object(Bucket="bench", Key=f"boto3-{n}")
                tracemalloc.start()
                await clients["multipart"].put_file(
                    "traced", path, content_type="video/mp4", size=size, sha256=sha
                )
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            body = s3.get_object(Bucket="bench", Key="traced")["Body"].read()
            assert hashlib.sha256(body).hexdigest() == sha
    finally:
        server.terminate()
        server.wait()

    def rate(name: str) -> float:
        return size / MiB / min(timings[name])

    print(f"file: {size / MiB:.0f} MiB, best of {rounds}, moto S3 server on loopback")
    print(f"plain aiohttp PUT (no signing, no hashing): {rate('plain'):7.1f} MiB/s")
    for name in ("single", "multipart"):
        label = (
            "rada PutObject (hash known)"
            if name == "single"
            else f"rada multipart ({part_mb} MiB pieces hashed)"
        )
        print(f"{label:43s} {rate(name):7.1f} MiB/s  ratio {rate(name) / rate('plain'):.2f}")
    print(
        f"{'boto3 multipart (same pieces, one at a time)':43s} {rate('boto3'):7.1f} MiB/s"
        f"  rada multipart / boto3 {rate('multipart') / rate('boto3'):.2f}"
    )
    print(
        f"peak Python memory during the multipart upload: {peak / MiB:.1f} MiB for a {size / MiB:.0f} MiB file"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--part-mb", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.size_mb, args.rounds, args.part_mb))
