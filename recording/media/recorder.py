"""One session's recorder: the gate, the ffmpeg of each part, the stall watchdog, the archive.

Lifecycle (R9: the recording is part of the protocol; R10: a technical failure is a break):

* :meth:`Recorder.start` checks free disk, closes any part a crashed predecessor left open,
  takes the session's port from the pool and starts an ffmpeg listener for the next part. The
  ingest is RTMP behind the gate (``gate.py``: checks the stream key, counts the frames it
  relays) or, with ``RADA_RECORDING_INGEST=srt``, SRT straight into ffmpeg on the public port
  (``srt.py``: the passphrase derived from the key is checked by the SRT handshake; no frame
  count, ``frames_received`` stays unknown).
* A part begins when ffmpeg's progress first advances (``recording_started``, or
  ``recording_resumed`` after a loss) and closes when its ffmpeg ends: the publisher hung up,
  the watchdog stopped it, the disk filled, or the session closed (``part_closed`` with
  duration, size and SHA-256 hashed as the bytes were written). A part whose last fragment was
  cut short (a full disk, a killed ffmpeg) is cut after its last complete fragment first, as
  crash repair does, so every part in the archive plays to its end.
* The watchdog declares ``recording_lost`` when no media has advanced for ``stall_seconds``
  (cause ``stall``; ``process`` when ffmpeg itself died; ``storage`` at once when any write
  fails: ffmpeg's, or rada's own part record, live playlist or archive; R9). After a storage
  loss ``recording_resumed`` waits until a new part's first fragment is on disk, not only for
  ffmpeg's progress (ffmpeg runs on while its writes fail). Free space is watched while
  recording: below ``headroom_bytes`` a ``recording_storage_low`` warning is logged.
  It watches ffmpeg's progress, not its exit: a publisher that vanished without closing TCP
  leaves ffmpeg waiting forever, so a stalled ffmpeg is stopped and the gate freed for the
  next publisher. An SRT listener has no gate to drop: its own read timeout (the stall time)
  ends a silent caller's input, which writes out the last frames (a signal would lose them),
  and the next part's ffmpeg binds the port again. A new part after a loss reports ``recording_resumed``.
* :meth:`Recorder.close` ends the last part and writes the archive (VOD playlist over all
  parts, WebVTT chapters, ``manifest.json``) in well under 2 s whatever the length, then
  reports ``archive_ready``. Space for it is reserved when the recorder starts (a file freed
  just before the archive is written), so the archive never waits for a full disk.

Events go to a :class:`RecorderSink` (the orchestrator journals them and declares the break)
through an in-order outbox, so a slow journal never delays the watchdog.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import structlog

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import format_time
from orchestrator.kernel.settings.recording import RecordingSettings
from recording import chapters, manifest
from recording.media import hls, parts, srt
from recording.media.gate import PublisherStats, RtmpGate
from recording.media.ingest import (
    IngestProcess,
    Listener,
    Progress,
    ffmpeg_executable,
    recorder_args,
    rtmp_listener,
    scan_media,
    srt_listener,
)
from recording.media.parts import PartRecord
from recording.storage.local import (
    GrowingFileHasher,
    RecordingStorage,
    check_capacity,
    truncate_to_playable,
    write_atomic,
)

APP = "live"
# The part follower wakes once a second (hash what ffmpeg appended, refresh the live playlist,
# check the disk), or at once when the process exits, the session closes or the watchdog fires.
FOLLOW_TICK = 1.0
RATE_SAMPLES = 4  # follower ticks: the bitrate is measured over the last three seconds
SINK_RETRIES = 5
LATE_END_SECONDS = 3.0  # libsrt takes about a second to exit after its read timeout
# Held from start to close so that the archive (playlist, chapters, manifest: well under a MiB
# for a day of 2 s segments) can be written on a disk the parts have filled.
ARCHIVE_RESERVE = ".archive-reserve"
ARCHIVE_RESERVE_BYTES = 8 * 1024 * 1024


class RecorderSink(Protocol):
    """The recorder's owner: journals each event (names and payloads: ``orchestrator.events``)."""

    async def recording_event(
        self, session_id: UUID, type: str, payload: dict[str, Any]
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class RecorderStatus:
    """The operator's view (``rada check``, chair console)."""

    session_id: UUID
    port: int | None
    receiving: bool
    lost_since: datetime | None
    part: int | None
    parts: int
    bitrate_kbps: int | None
    publisher_frames: int
    part_media_ms: int  # media recorded so far in the current part
    free_bytes: int | None = None  # free space where the parts are written, last looked at
    storage_low: bool = False  # free space below the headroom (a warning, not yet a loss)


@dataclass(frozen=True, slots=True)
class Archive:
    directory: Path
    parts: tuple[PartRecord, ...]
    manifest: manifest.Manifest


@dataclass(eq=False)
class _Run:
    """One ffmpeg listener; if media arrives it becomes part ``number``."""

    number: int
    port: int  # where it listens: a loopback port behind the gate, or the public SRT port
    listener: Listener
    process: IngestProcess | None = None
    claimed: bool = False
    media: bool = False
    advanced_at: float = 0.0  # loop time of the last progress report that showed new media
    frame: int = 0
    out_time_us: int = 0
    record: PartRecord | None = None
    hasher: GrowingFileHasher | None = None
    publisher: PublisherStats | None = None
    end: str | None = None  # stall | closed | storage | process | eof
    playlist_mtime: float = 0.0
    grown_size: int = 0  # file size when it last grew…
    grown_at: float = 0.0  # …and the loop time then
    behind: int = 0  # ticks in a row with the playlist listing bytes the file lacks


def ingest_url(settings: RecordingSettings, port: int, key: str, host: str | None = None) -> str:
    """The full URL a publisher pushes a session to: ``rtmp://HOST:PORT/live/<key>`` (Jibri's
    ``youTubeStreamKey``), or for SRT ``srt://HOST:PORT?mode=caller&passphrase=…&pbkeylen=32``
    (OBS, a hall encoder: MPEG-TS)."""
    host = host or settings.public_host
    if settings.ingest == "srt":
        return srt.caller_url(host, port, key)
    return f"rtmp://{host}:{port}/{APP}/{key}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _free_local_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Recorder:
    """Records one session into hashed parts; see the module docstring."""

    def __init__(
        self,
        *,
        session_id: UUID,
        key: str,
        settings: RecordingSettings,
        storage: RecordingStorage,
        sink: RecorderSink,
        clock: Callable[[], datetime] = _utc_now,
        ffmpeg: str | None = None,
        lost_since: datetime | None = None,
    ) -> None:
        """``lost_since``: the journal already holds a ``recording_lost`` that no part has
        resumed (a recorder taking over from another process)."""
        self.session_id = session_id
        self.key = key
        self.settings = settings
        self.storage = storage
        self.sink = sink
        self.clock = clock
        self.ffmpeg = ffmpeg or ffmpeg_executable(settings.ffmpeg)
        self.log = structlog.get_logger(__name__).bind(session_id=str(session_id))
        self.directory = Path()
        self.gate: RtmpGate | None = None  # RTMP ingest
        self.udp: srt.UdpPort | None = None  # SRT ingest: no gate, ffmpeg binds the port
        self.port: int | None = None  # the session's public ingest port
        self.records: dict[int, PartRecord] = {}
        self._playlists: dict[int, hls.MediaPlaylist] = {}
        self._run: _Run | None = None
        self._listener_ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._media_seen = False
        self._last_media = 0.0  # loop time
        self._last_media_wall: datetime | None = None
        self._lost_since = lost_since
        self._last_end: str | None = None
        self._rate: list[tuple[float, int]] = []
        self._watchdog: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        self._outbox: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._supervisor: asyncio.Task[None] | None = None
        self._free_bytes: int | None = None
        self._storage_low = False
        self._unsaved: set[int] = set()
        self._lost_cause: str | None = None  # closed parts whose record file could not be written

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(
        self, *, expected_seconds: float | None = None, taken_ports: frozenset[int] = frozenset()
    ) -> int:
        """Check the disk, recover crashed parts, bind the ingest port; return the port."""
        if expected_seconds is not None:
            await check_capacity(
                self.storage,
                self.session_id,
                expected_seconds=expected_seconds,
                bytes_per_second=self.settings.bytes_per_second,
            )
        self.directory = self.storage.session_dir(self.session_id)
        self._tasks.append(asyncio.create_task(self._deliver()))
        await self._recover()
        await asyncio.to_thread(self._reserve_archive_space)
        if self.settings.ingest == "srt":
            self.udp = srt.UdpPort(self.settings.host, self.settings.ports)
            port = self.udp.take(taken_ports)
        else:
            self.gate = RtmpGate(
                host=self.settings.host,
                ports=self.settings.ports,
                app=APP,
                key=self.key,
                upstream=self._claim_listener,
                clock=self.clock,
                log=self.log,
            )
            port = await self.gate.start(taken_ports)
        self.port = port
        self._supervisor = asyncio.create_task(self._supervise())
        self.log.info(
            "recorder_started",
            ingest=self.settings.ingest,
            port=port,
            parts_on_disk=len(self.records),
        )
        return port

    def ingest_url(self, host: str | None = None) -> str:
        """The full URL a publisher pushes to (see :func:`ingest_url`)."""
        assert self.port is not None
        return ingest_url(self.settings, self.port, self.key, host)

    @property
    def ingest_pid(self) -> int | None:
        """The pid of the current part's ffmpeg (operations, tests)."""
        run = self._run
        return run.process.pid if run and run.process else None

    async def close(self, entries: Sequence[chapters.JournalEntry] = ()) -> Archive:
        """Session closed: end the last part, write the archive, report ``archive_ready``."""
        await self._shutdown()
        archive = await self._write_archive(entries)
        self._emit(
            ev.ARCHIVE_READY,
            {
                "manifest": manifest.MANIFEST_NAME,
                "manifest_sha256": archive.manifest.sha256,
                "parts": archive.manifest.parts,
                "duration_ms": archive.manifest.duration_ms,
            },
        )
        await self._drain()
        self.log.info("archive_ready", parts=archive.manifest.parts, sha256=archive.manifest.sha256)
        return archive

    async def finalize(self, entries: Sequence[chapters.JournalEntry] = ()) -> Archive:
        """The session closed while no recorder ran (its rada process had died): close the
        parts it left, then write the archive. No ingest is opened."""
        self.directory = self.storage.session_dir(self.session_id)
        self._tasks.append(asyncio.create_task(self._deliver()))
        await self._recover()
        return await self.close(entries)

    async def stop(self) -> None:
        """rada is shutting down while the session stays open: close the current part; if media
        was flowing, that is a loss (cause ``process``) until another recorder takes over."""
        if self._closing.is_set():
            return
        receiving = self._receiving()
        await self._shutdown()
        if receiving:
            self._declare_lost("process")
        await self._drain()

    async def _shutdown(self) -> None:
        if self._closing.is_set():
            raise RuntimeError("the recorder is already stopped")
        self._closing.set()
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self._supervisor is not None:
            await self._supervisor
        if self.gate is not None:
            await self.gate.close()
        if self.udp is not None:
            self.udp.release()
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks[1:], return_exceptions=True)
        del self._tasks[1:]

    async def _drain(self) -> None:
        await self._outbox.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    # --- status ------------------------------------------------------------------------------

    def _receiving(self) -> bool:
        loop = asyncio.get_running_loop()
        return (
            self._media_seen
            and self._lost_since is None
            and loop.time() - self._last_media < self.settings.stall_seconds
        )

    def status(self) -> RecorderStatus:
        run = self._run
        bitrate = None
        if len(self._rate) >= 2 and self._rate[-1][0] > self._rate[0][0]:
            (t0, b0), (t1, b1) = self._rate[0], self._rate[-1]
            bitrate = round((b1 - b0) * 8 / (t1 - t0) / 1000)
        publisher = self.gate.publisher if self.gate else None
        return RecorderStatus(
            session_id=self.session_id,
            port=self.port,
            receiving=self._receiving(),
            lost_since=self._lost_since,
            part=run.number if run and run.record else None,
            parts=len(self.records),
            bitrate_kbps=bitrate,
            publisher_frames=publisher.frames if publisher else 0,
            part_media_ms=run.out_time_us // 1000 if run is not None else 0,
            free_bytes=self._free_bytes,
            storage_low=self._storage_low,
        )

    # --- events ------------------------------------------------------------------------------

    def _emit(self, type_: str, payload: dict[str, Any]) -> None:
        self.log.info(type_, **payload)
        self._outbox.put_nowait((type_, payload))

    async def _deliver(self) -> None:
        while True:
            type_, payload = await self._outbox.get()
            try:
                for attempt in range(SINK_RETRIES):
                    try:
                        await self.sink.recording_event(self.session_id, type_, payload)
                        break
                    except Exception:
                        self.log.exception("recording_event_failed", type=type_, attempt=attempt)
                        await asyncio.sleep(0.2 * 2**attempt)
                else:
                    self.log.error("recording_event_dropped", type=type_, payload=payload)
            finally:
                self._outbox.task_done()

    def _declare_lost(self, cause: str) -> None:
        self._lost_since = self._last_media_wall or self.clock()
        self._lost_cause = cause
        run = self._run
        current = run.number if run is not None and run.record is not None else 0
        last = max(current, max(self.records, default=0))
        self._emit(
            ev.RECORDING_LOST,
            {"part": last, "cause": cause, "last_media_at": format_time(self._lost_since)},
        )

    # --- recovery ----------------------------------------------------------------------------

    async def _recover(self) -> None:
        """Load closed parts; close the ones a crashed recorder left open (repaired to their
        last complete fragment, hashed, measured), reporting them as recovered."""
        names = await asyncio.to_thread(os.listdir, self.directory)
        recovered: list[PartRecord] = []
        for number in parts.part_numbers(names):
            media = self.directory / parts.media_name(number)
            record_path = self.directory / parts.record_name(number)
            record = None
            if record_path.exists():
                text = await asyncio.to_thread(record_path.read_text)
                record = PartRecord.from_json(json.loads(text))
                if record.closed:
                    self.records[number] = record
                    continue
            if not media.exists() or media.stat().st_size == 0:
                continue
            _, size = await asyncio.to_thread(truncate_to_playable, media)
            if size == 0:
                continue
            scan = await scan_media(media, self.ffmpeg)
            playlist = await self._read_playlist(number)
            playlist = hls.with_tail(playlist, file_size=size, total_ms=scan.duration_ms)
            self._playlists[number] = playlist
            if record is None:
                mtime = media.stat().st_mtime
                started = datetime.fromtimestamp(mtime, UTC) - timedelta(
                    milliseconds=scan.duration_ms
                )
                record = PartRecord(number, started)
            size, digest = await GrowingFileHasher(media).finish()
            closed = record.close(
                duration_ms=playlist.duration_ms or scan.duration_ms,
                size=size,
                sha256=digest,
                recovered=True,
            )
            await self._save_record(closed)
            await self.storage.publish_part(self.session_id, closed)
            self.records[number] = closed
            recovered.append(closed)
            self._emit(ev.PART_CLOSED, closed.closed_payload())
        if recovered and self._lost_since is None:
            last = recovered[-1]
            self._last_media_wall = last.started_at + timedelta(milliseconds=last.duration_ms)
            self._media_seen = True
            self._declare_lost("process")
        await self._write_live()

    # --- supervision -------------------------------------------------------------------------

    async def _claim_listener(self) -> int:
        """The gate's upstream: the port of the current, not yet claimed ffmpeg listener."""
        while True:
            await self._listener_ready.wait()
            run = self._run
            if run is not None and not run.claimed:
                run.claimed = True
                self._listener_ready.clear()
                return run.port

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closing.is_set():
            names = await asyncio.to_thread(os.listdir, self.directory)
            number = max(parts.next_part_number(names), max(self.records, default=0) + 1)
            run = self._next_run(number)
            run.process = IngestProcess(
                recorder_args(
                    self.ffmpeg,
                    listener=run.listener,
                    part_file=parts.media_name(number),
                    playlist=parts.playlist_name(number),
                    segment_seconds=self.settings.segment_seconds,
                ),
                cwd=self.directory,
                on_progress=partial(self._on_progress, run),
                die_with_parent=run.listener.die_with_rada,
                stdin=run.listener.stdin,
            )
            began = loop.time()
            if self.udp is not None:
                self.udp.release()  # for this ffmpeg to bind
            await run.process.start()
            self._run = run
            self._listener_ready.set()
            try:
                await self._follow(run)
            finally:
                self._listener_ready.clear()
                if self.udp is not None:
                    await run.process.wait()
                    if not self.udp.hold():
                        self.log.warning("srt_port_taken", port=self.port)
                await self._finish(run)
                self._run = None
            if not run.media and loop.time() - began < 1.0 and not self._closing.is_set():
                await asyncio.sleep(0.5)  # a listener failing at once: do not spin

    def _next_run(self, number: int) -> _Run:
        if self.gate is not None:
            port = _free_local_port()
            return _Run(number, port, rtmp_listener(port))
        assert self.port is not None
        # A caller silent for the stall time ends ffmpeg's input, which closes the part with
        # every frame received (the watchdog declares the loss from the progress meanwhile).
        listener = srt_listener(
            self.settings.host, self.port, self.key, read_timeout=self.settings.stall_seconds
        )
        return _Run(number, self.port, listener)

    def _on_progress(self, run: _Run, progress: Progress) -> None:
        if progress.frame > run.frame or progress.out_time_us > run.out_time_us:
            if not run.media:
                self._wake.set()  # the follower begins the part now, not at its next tick
            run.frame = max(run.frame, progress.frame)
            run.out_time_us = max(run.out_time_us, progress.out_time_us)
            run.media = True
            self._media_seen = True
            now = asyncio.get_running_loop().time()
            silence = run.listener.silence
            # ffmpeg ends an SRT input silent this long and only then writes out its last frames
            # (MPEG-TS ends a frame only with the next): they arrived before the silence, so they
            # do not move the stall clock. Progress reports lag the input by up to STATS_PERIOD,
            # and flowing media advances every report: half the silence tells the two apart.
            if not silence or not run.advanced_at or now - run.advanced_at < silence / 2:
                run.advanced_at = now
                self._last_media = now
                self._last_media_wall = self.clock()
            if self._watchdog is None and not self._closing.is_set():
                self._arm_watchdog()

    async def _follow(self, run: _Run) -> None:
        """Tick until the run's ffmpeg exits; begin the part, hash, refresh the live playlist,
        stop a stalled or closing ffmpeg."""
        assert run.process is not None
        loop = asyncio.get_running_loop()
        exited = asyncio.ensure_future(run.process.wait())
        closing = asyncio.ensure_future(self._closing.wait())
        self._wake.clear()
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            while not exited.done():
                await asyncio.wait(
                    {exited, closing, woken},
                    timeout=FOLLOW_TICK,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if woken.done():
                    self._wake.clear()
                    woken = asyncio.ensure_future(self._wake.wait())
                self._sample_rate(loop.time(), run)
                if run.media and run.record is None and await self._media_written(run):
                    await self._begin_part(run)
                if run.record is not None and run.hasher is not None:
                    try:
                        await run.hasher.advance()
                        await self._refresh_live(run)
                    except OSError as exc:
                        self._write_failed(run, manifest.LIVE_PLAYLIST, exc)
                await self._watch_space()
                if exited.done():
                    break
                if run.end == "storage":
                    pass  # a write failed: stop ffmpeg now, whatever else holds
                elif self._closing.is_set():
                    run.end = "closed"
                elif run.process.storage_failed() or self._writes_lost(run):
                    run.end = "storage"
                elif run.media and loop.time() - self._last_media >= self.settings.stall_seconds:
                    run.end = "stall"
                if run.end == "stall" and self._ends_by_itself(run, loop.time()):
                    continue
                if run.end == "storage" and self._lost_since is None:
                    self._declare_lost(
                        "storage"
                    )  # now: repairing and hashing the part may take long
                if run.end is not None:
                    # Closing ffmpeg's input first lets it finish the file as at a normal end of
                    # stream (a blocked read ignores ``q``); the signals are the fallback.
                    if self.gate is not None:
                        await self.gate.drop()
                    await run.process.stop(
                        run.listener.grace,
                        signal_first=not run.media or not run.listener.reads_q,
                    )
                    break
        finally:
            closing.cancel()
            woken.cancel()
            await asyncio.gather(exited, closing, woken, return_exceptions=True)

    def _ends_by_itself(self, run: _Run, now: float) -> bool:
        """A stalled SRT ffmpeg is left to end its silent input itself, which writes out the
        last frames (a signal would lose them, and one SIGTERM does not even end libsrt's read);
        it is stopped only if that has not happened well after its read timeout."""
        silence = run.listener.silence
        return bool(silence) and now - self._last_media < silence + LATE_END_SECONDS

    def _writes_lost(self, run: _Run) -> bool:
        """ffmpeg's HLS muxer ignores failed writes (a full disk leaves it running with exit
        status 0), so check the file: it must hold every byte its playlist lists, and it must
        grow while media arrives (within three segments and two seconds of wall time)."""
        try:
            size = (self.directory / parts.media_name(run.number)).stat().st_size
        except FileNotFoundError:
            size = 0
        now = asyncio.get_running_loop().time()
        # the growth clock starts with media: an idle listener may have waited long for a publisher
        if size > run.grown_size or not run.grown_at or not run.media:
            run.grown_size, run.grown_at = size, now
        playlist = self._playlists.get(run.number)  # read before the size: never ahead by a race
        listed = playlist.segments[-1].byterange if playlist and playlist.segments else None
        run.behind = run.behind + 1 if listed is not None and listed.end > size else 0
        if run.behind >= 2:  # on two ticks in a row: not a write still on its way
            return True
        limit = 3 * self.settings.segment_seconds + 2
        return self._last_media > run.grown_at and now - run.grown_at > limit

    async def _begin_part(self, run: _Run) -> None:
        publisher = self.gate.publisher if self.gate else None
        run.publisher = publisher
        if publisher is not None and publisher.first_media_at is not None:
            started = publisher.first_media_at
        else:
            started = self.clock() - timedelta(microseconds=run.out_time_us)
        run.record = PartRecord(run.number, started)
        run.hasher = GrowingFileHasher(self.directory / parts.media_name(run.number))
        try:
            await self._save_record(run.record)
        except OSError as exc:
            self._write_failed(run, parts.record_name(run.number), exc)
            if self._lost_since is not None and self._lost_cause == "storage":
                return  # the disk still refuses rada's own writes: not resumed (R9)
        payload = {"part": run.number, "started_at": format_time(started)}
        if self._lost_since is not None:
            self._lost_since = None
            self._emit(ev.RECORDING_RESUMED, payload)
        else:
            self._emit(ev.RECORDING_STARTED, payload)

    async def _finish(self, run: _Run) -> None:
        """After the run's ffmpeg exited: classify the end, close the part if it had media."""
        assert run.process is not None
        code = await run.process.wait()
        if run.process.storage_failed():
            run.end = "storage"
        elif run.end is None:
            run.end = "process" if code < 0 else "eof"
        if run.media and run.record is None and await self._media_written(run):
            await self._begin_part(run)
        if run.media or run.end == "storage":  # an idle listener timing out says nothing
            self._last_end = run.end
        if run.record is None:
            await self._discard_empty(run.number, unplayable=run.media)
        else:
            self.log.info("part_ended", part=run.number, end=run.end, exit_code=code)
            await self._close_part(run)
            if run.end == "storage":
                self._last_end = "storage"
        if run.end == "storage":
            self.log.error("recording_storage_failed", errors=list(run.process.errors))
            if self._lost_since is None:  # a full disk is a loss at once, media or not
                self._declare_lost("storage")

    async def _close_part(self, run: _Run) -> None:
        """Hash, repair a cut last fragment, journal ``part_closed``. A write failing here is a
        storage loss (``run.end``), never a part left unjournaled: the in-memory record stands
        and its file is written again with the archive."""
        assert run.record is not None and run.hasher is not None
        size, digest = await run.hasher.finish()
        media = self.directory / parts.media_name(run.number)
        try:
            size, digest = await self._repair(media, size, digest)
        except OSError as exc:
            self._write_failed(run, media.name, exc)
        playlist = hls.within(await self._read_playlist(run.number), size)
        self._playlists[run.number] = playlist
        # The duration is what the archive can play: the segments the file holds.
        closed = run.record.close(duration_ms=playlist.duration_ms, size=size, sha256=digest)
        if run.publisher is not None:
            closed = replace(closed, frames_received=run.publisher.frames)
        self.records[run.number] = closed
        try:
            await self._save_record(closed)
        except OSError as exc:
            self._unsaved.add(closed.part)
            self._write_failed(run, parts.record_name(closed.part), exc)
        await self.storage.publish_part(self.session_id, closed)
        self._emit(ev.PART_CLOSED, closed.closed_payload())
        try:
            await self._write_live()
        except OSError as exc:
            self._write_failed(run, manifest.LIVE_PLAYLIST, exc)

    async def _repair(self, media: Path, size: int, digest: str) -> tuple[int, str]:
        """Cut the part after its last complete fragment when its end was cut short (a full
        disk leaves half a fragment); hash it again if anything was cut."""
        if size == 0:
            return size, digest
        try:
            before, kept = await asyncio.to_thread(truncate_to_playable, media)
        except FileNotFoundError:
            return size, digest
        if kept >= before:
            return size, digest
        self.log.warning("part_repaired", file=media.name, size=before, kept=kept)
        return await GrowingFileHasher(media).finish()

    def _write_failed(self, run: _Run, name: str, exc: OSError) -> None:
        """Any write rada or ffmpeg cannot complete is a storage loss (R9): the follower stops
        ffmpeg and ``recording_lost`` (cause ``storage``) is declared as the run ends."""
        self.log.error(
            "recording_write_failed",
            part=run.number,
            file=name,
            errno=errno.errorcode.get(exc.errno or 0, exc.errno),
            error=str(exc),
        )
        run.end = "storage"

    async def _media_written(self, run: _Run) -> bool:
        """After a storage loss a part begins (``recording_resumed``) only once its first
        fragment is on disk: ffmpeg's progress goes on while its writes fail. Otherwise at
        once."""
        if self._lost_since is None or self._lost_cause != "storage":
            return True
        try:
            size = (self.directory / parts.media_name(run.number)).stat().st_size
        except FileNotFoundError:
            return False
        playlist = await self._read_playlist(run.number)
        listed = [s.byterange for s in playlist.segments if s.byterange is not None]
        return bool(listed) and listed[-1].end <= size

    async def _watch_space(self) -> None:
        """Free space while recording, against the headroom: a warning, logged once per
        crossing and shown in the status; a full disk itself is caught by the failed writes."""
        try:
            free = int((await asyncio.to_thread(shutil.disk_usage, self.directory)).free)
        except OSError:
            return
        self._free_bytes = free
        low = free < self.settings.headroom_bytes
        if low and not self._storage_low:
            self.log.warning(
                "recording_storage_low",
                free_bytes=free,
                headroom_bytes=self.settings.headroom_bytes,
            )
        elif self._storage_low and not low:
            self.log.info("recording_storage_ok", free_bytes=free)
        self._storage_low = low

    def _reserve_archive_space(self) -> None:
        """Hold room for the archive (see ARCHIVE_RESERVE). Blocking; best effort: a disk too
        full for it is already refused by the capacity check, and is logged here."""
        path = self.directory / ARCHIVE_RESERVE
        try:
            with path.open("ab") as handle:
                if os.fstat(handle.fileno()).st_size < ARCHIVE_RESERVE_BYTES:
                    os.posix_fallocate(handle.fileno(), 0, ARCHIVE_RESERVE_BYTES)
        except OSError as exc:
            self.log.warning("archive_reserve_failed", error=str(exc))

    async def _discard_empty(self, number: int, *, unplayable: bool = False) -> None:
        """A listener that got no media may leave empty files: they are not a part. Nor is a
        run whose media never reached the disk (``unplayable``: a full disk), whatever bytes
        of it ffmpeg managed to write."""
        for name in (parts.media_name(number), parts.playlist_name(number)):
            path = self.directory / name
            with contextlib.suppress(FileNotFoundError):
                if unplayable or path.stat().st_size == 0 or name.endswith(".m3u8"):
                    path.unlink()

    def _arm_watchdog(self) -> None:
        loop = asyncio.get_running_loop()
        self._watchdog = loop.call_at(
            self._last_media + self.settings.stall_seconds, self._watchdog_fired
        )

    def _watchdog_fired(self) -> None:
        """The stall watchdog: a timer at the last media + ``stall_seconds``, moved on when
        media advanced meanwhile; ``recording_lost`` is declared when it fires unmoved, so the
        loss is reported ``stall_seconds`` after the last progress report that showed media,
        whatever ffmpeg is doing. One wake-up per ``stall_seconds`` while media flows."""
        self._watchdog = None
        if self._closing.is_set():
            return
        if asyncio.get_running_loop().time() - self._last_media < self.settings.stall_seconds:
            self._arm_watchdog()
            return
        if self._lost_since is None:
            run = self._run
            running = run is not None and run.record is not None and run.end is None
            cause = "stall" if running or self._last_end != "process" else "process"
            self._declare_lost(cause)
        self._wake.set()  # the follower stops the stalled ffmpeg now, not at its next tick

    def _sample_rate(self, now: float, run: _Run) -> None:
        """A byte count once a follower tick, for the bitrate in the status: what the gate
        relayed, or without a gate (SRT) the size of the part file, sampled when it grew (it
        grows a whole fragment at a time)."""
        publisher = self.gate.publisher if self.gate else None
        if publisher is not None:
            count = publisher.media_bytes
        elif self.gate is None and run.hasher is not None:
            count = run.hasher.size
            if self._rate and self._rate[-1][1] == count:
                return
        else:
            return
        self._rate = [*self._rate, (now, count)][-RATE_SAMPLES:]
        if self._rate[0][1] > count:  # a new publisher, a new part
            self._rate = [(now, count)]

    # --- files -------------------------------------------------------------------------------

    async def _save_record(self, record: PartRecord) -> None:
        data = json.dumps(record.to_json(), sort_keys=True, indent=2).encode() + b"\n"
        await asyncio.to_thread(write_atomic, self.directory / parts.record_name(record.part), data)

    async def _read_playlist(self, number: int) -> hls.MediaPlaylist:
        path = self.directory / parts.playlist_name(number)
        try:
            text = await asyncio.to_thread(path.read_text)
        except FileNotFoundError:
            return hls.MediaPlaylist(None, None, (), False)
        return hls.parse(text)

    async def _refresh_live(self, run: _Run) -> None:
        path = self.directory / parts.playlist_name(run.number)
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime != run.playlist_mtime:
            run.playlist_mtime = mtime
            self._playlists[run.number] = await self._read_playlist(run.number)
            await self._write_live(current=run)

    def _timeline(self, current: _Run | None = None) -> list[hls.PartTimeline]:
        records = dict(self.records)
        if current is not None and current.record is not None:
            records[current.number] = current.record
        return [
            hls.PartTimeline(records[n].started_at, self._playlists[n])
            for n in sorted(records)
            if n in self._playlists
        ]

    async def _write_live(self, current: _Run | None = None) -> None:
        text = hls.render(self._timeline(current), final=False)
        await asyncio.to_thread(
            write_atomic, self.directory / manifest.LIVE_PLAYLIST, text.encode(), durable=False
        )

    async def _write_archive(self, entries: Sequence[chapters.JournalEntry]) -> Archive:
        started = time.perf_counter()
        # The reserve's room is the archive's: written at once, whatever the parts left free.
        await asyncio.to_thread((self.directory / ARCHIVE_RESERVE).unlink, missing_ok=True)
        for number in sorted(self._unsaved):
            await self._save_record(self.records[number])
        self._unsaved.clear()
        closed = [self.records[n] for n in sorted(self.records)]
        for record in closed:
            if record.part not in self._playlists:
                self._playlists[record.part] = await self._read_playlist(record.part)
        files = {
            manifest.ARCHIVE_PLAYLIST: hls.render(self._timeline(), final=True).encode(),
            manifest.CHAPTERS_NAME: chapters.render_webvtt(chapters.cues(entries, closed)).encode(),
        }
        document = manifest.build(self.session_id, closed, files, generated_at=self.clock())
        files[manifest.MANIFEST_NAME] = document.body
        for name, data in files.items():
            await asyncio.to_thread(write_atomic, self.directory / name, data)
        await self.storage.publish_archive(self.session_id, sorted(files))
        self.log.info("archive_written", seconds=round(time.perf_counter() - started, 3))
        return Archive(self.directory, tuple(closed), document)
