"""``rada rehearse SCENARIO.json`` and ``rada demo``: play a whole session through the public
HTTP and WebSocket API, as the administrator, the chair, the secretary and each deputy would.

Without ``--url`` a private ``rada serve`` is started in a fresh data folder (embedded
PostgreSQL) and stopped afterwards. Every participant is a separate HTTP client with its own
WebSocket console; a deputy answers from their own page when their surname is called (R15,
R16); the chair skips whoever has no answer (не голосував), opens and closes every item and
vote, and declares the scenario's breaks.

What rada does not own is behind small ports, so that the same player runs against a real
deployment and in tests: :class:`Ports` signs a participant in (identity's personal link),
reports presence (Prosody's event_sync webhook), identifies (the chair's button, R11) and
drives the media (a Jibri stream; until the recording package is wired, the chair declares an
outage break with cause ``recording_lost``).

The result is the protocol JSON's path; until the protocol package is merged the player writes
a minimal protocol of its own (the journal plus every vote's call order, answers, tally,
outcome and the breaks) and says so. A refusal by the service (a secret ballot, no quorum)
ends the rehearsal with that refusal and exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from orchestrator.conduct.live import RESYNC, Follower
from orchestrator.kernel.errors import Invalid
from orchestrator.kernel.ukrainian import plural
from orchestrator.rehearsal import around
from orchestrator.rehearsal import scenario as sc
from orchestrator.rehearsal.mailsink import MailSink

NOTICE = timedelta(hours=24, minutes=30)  # R3: announced at least 24 hours before the start
STARTUP_SECONDS = 120
EVENTS_PREFIX = "/api/v1/jitsi"  # identity's RADA_JITSI_EVENTS_PREFIX default
WAIT_SECONDS = 60


class Refused(Exception):
    """The service refused an act; ``problem`` is its problem+json."""

    def __init__(self, act: str, status: int, problem: Mapping[str, Any]) -> None:
        detail = problem.get("detail", "")
        super().__init__(f"{act}: {status} {problem.get('code', '')}: {detail}")
        self.problem = dict(problem)


@dataclass
class Console:
    """A participant's live view: the latest snapshot from the session's WebSocket."""

    seq: int = -1
    state: dict[str, Any] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def feed(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        follower = Follower()  # the first snapshot, then patches onto it
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            took = follower.take(json.loads(msg.data))
            if took == "resync":
                await ws.send_json(RESYNC)
            elif took == "taken" and follower.state is not None:
                async with self.changed:
                    # a copy: a patch changes the follower's state in place
                    self.seq, self.state = follower.seq, copy.deepcopy(follower.state)
                    self.changed.notify_all()

    async def until(
        self, check: Callable[[dict[str, Any]], bool], *, seen: int = 0
    ) -> dict[str, Any]:
        """Wait for a snapshot at or after journal position ``seen`` that satisfies ``check``."""
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(
                    lambda: bool(self.state) and self.seq >= seen and check(self.state)
                ),
                WAIT_SECONDS,
            )
            return self.state


@dataclass
class Client:
    """One participant's browser: an HTTP session signed in as them, and their console."""

    participant_id: str
    email: str
    role: str
    kind: str
    http: aiohttp.ClientSession
    headers: dict[str, str] = field(default_factory=dict)
    console: Console = field(default_factory=Console)
    task: asyncio.Task[None] | None = None

    async def post(self, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        async with self.http.post(path, json=dict(body or {}), headers=self.headers) as r:
            data: dict[str, Any] = await r.json(content_type=None)
            if r.status >= 400:
                raise Refused(f"POST {path}", r.status, data)
            return data

    async def put(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        async with self.http.put(path, json=dict(body), headers=self.headers) as r:
            data: dict[str, Any] = await r.json(content_type=None)
            if r.status >= 400:
                raise Refused(f"PUT {path}", r.status, data)
            return data

    async def watch(self, session_id: str) -> None:
        ws = await self.http.ws_connect(f"/api/v1/sessions/{session_id}/ws", headers=self.headers)
        self.task = asyncio.get_running_loop().create_task(self.console.feed(ws))
        await self.console.until(lambda s: True)


class Ports(Protocol):
    """What a real deployment does outside rada, and a test does its own way."""

    async def sign_in(self, player: Player, who: Client) -> None: ...
    async def join(self, player: Player, who: Client) -> None: ...
    async def leave(self, player: Player, who: Client) -> None: ...
    async def identify(self, player: Player, chair: Client, who: Client) -> None: ...
    async def recording_start(self, player: Player) -> None: ...
    async def outage(self, player: Player, seconds: float) -> None: ...


@dataclass
class Player:
    base_url: str
    admin_token: str
    scenario: sc.Scenario
    ports: Ports
    out_dir: Path
    log: Callable[[str], None] = print
    session_id: str = ""
    room: str = ""
    clients: dict[str, Client] = field(default_factory=dict)  # by e-mail
    admin: aiohttp.ClientSession | None = None
    around: bool = False  # `rada demo`: also before and after the sitting (around.py)
    sink: MailSink | None = None

    # --- plumbing ------------------------------------------------------------------------

    def client_session(self) -> aiohttp.ClientSession:
        # unsafe=True: keep cookies from an IP address such as 127.0.0.1 (the private rada)
        return aiohttp.ClientSession(
            self.base_url,
            timeout=aiohttp.ClientTimeout(total=120),
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        )

    async def as_admin(self, method: str, path: str, **kw: Any) -> Any:
        assert self.admin is not None
        headers = {"Authorization": f"Bearer {self.admin_token}", **kw.pop("headers", {})}
        async with self.admin.request(method, path, headers=headers, **kw) as r:
            data = await r.json(content_type=None)
            if r.status >= 400:
                raise Refused(f"{method} {path}", r.status, data)
            return data

    def by_role(self, role: str) -> Client:
        for c in self.clients.values():
            if c.role == role:
                return c
        raise Refused(
            f"find the {role}",
            0,
            {"code": f"{role}_absent", "detail": f"the {role} does not attend"},
        )

    # --- the play ------------------------------------------------------------------------

    async def play(self) -> Path:
        async with self.client_session() as admin:
            self.admin = admin
            try:
                await self.convene()
                await self.sign_in()
                if self.around:
                    await around.before_sitting(self)
                await self.open_session()
                for index in range(len(self.scenario.session["agenda"])):
                    await self._breaks(index)
                    await self._item(index)
                await self._breaks(len(self.scenario.session["agenda"]))
                await self.by_role("chair").post(f"{self._base}/close")
                self.log("засідання закрито")
                await self._publish()
                path = await self._protocol()
                if self.around:  # after the protocol's files: they hold the sitting alone
                    await around.after_sitting(self, self.sink)
                return path
            finally:
                await self.close_clients()

    async def close_clients(self) -> None:
        for c in self.clients.values():
            if c.task is not None:
                c.task.cancel()
            await c.http.close()

    @property
    def _base(self) -> str:
        return f"/api/v1/sessions/{self.session_id}"

    async def convene(self) -> None:
        s = self.scenario
        council = await self.as_admin("POST", "/api/v1/councils", json=s.council)
        members = [p.roster_row() for p in s.roster if p.role != "guest"]
        await self.as_admin("PUT", f"/api/v1/councils/{council['id']}/roster", json=members)
        guests = [
            {k: v for k, v in p.roster_row().items() if k != "role"}
            for p in s.roster
            if p.role == "guest"
        ]
        starts = datetime.now(UTC) + NOTICE
        body = {
            "title": s.session["title"],
            "number": s.session["number"],
            "starts_at": starts.isoformat(),
            "agenda": s.session["agenda"],
            "guests": guests,
        }
        made = await self.as_admin("POST", f"/api/v1/councils/{council['id']}/sessions", json=body)
        self.session_id = made["id"]
        await self.as_admin("POST", f"{self._base}/announce")
        self.room = (await self.as_admin("GET", self._base))["room"]  # the administrator's
        self.log(f"скликано й оголошено засідання {self.session_id}")

    async def sign_in(self) -> None:
        for p in await self.as_admin("GET", f"{self._base}/contacts"):
            email = str(p["email"]).lower()
            if email in self.scenario.attend:
                self.clients[email] = Client(
                    p["participant_id"], email, p["role"], p["kind"], self.client_session()
                )
        for c in self.clients.values():
            await self.ports.sign_in(self, c)
        for c in self.clients.values():
            await c.watch(self.session_id)
        joined = plural(len(self.clients), "учасник", "учасники", "учасників")
        self.log(f"увійшли й стежать за засіданням: {joined}")

    async def open_session(self) -> None:
        chair = self.by_role("chair")
        await chair.post(f"{self._base}/open")
        await self.ports.recording_start(self)
        for c in self.clients.values():
            await self.ports.join(self, c)
        for c in self.clients.values():
            await self.ports.identify(self, chair, c)
        state = await chair.console.until(
            lambda s: all(p["identified"] for p in s["participants"] if p["present"])
        )
        q = state["quorum"]
        self.log(f"засідання відкрито; кворум {q['present_deputies']}/{q['required']}")

    async def _breaks(self, before_item: int) -> None:
        chair = self.by_role("chair")
        for b in self.scenario.breaks_before(before_item):
            if b.cause == "recording_lost":
                await self.ports.outage(self, b.seconds)  # rada declares the break itself
            else:
                await chair.post(
                    f"{self._base}/breaks", {"cause": "chair", "reason": "перерва за сценарієм"}
                )
                await asyncio.sleep(b.seconds)
            await chair.console.until(lambda s: s["phase"] == "break")
            await chair.post(f"{self._base}/breaks/end")
            self.log(f"перерва ({b.cause}) перед питанням {before_item + 1} завершилась")

    async def _item(self, index: int) -> None:
        chair = self.by_role("chair")
        await chair.post(f"{self._base}/items/{index}/open")
        recorder = self._recorder()
        for k in range(self.scenario.amendments(index)):
            await recorder.post(
                f"{self._base}/amendments", {"text": f"Поправка {k + 1} до питання {index + 1}"}
            )
        for k in range(self.scenario.amendments(index)):
            await self._vote(index, k)
        await self._vote(index, None)
        await chair.post(f"{self._base}/items/{index}/close")

    def _recorder(self) -> Client:
        """Remarks and proposals are recorded by the secretary (R17), else by the chair."""
        try:
            return self.by_role("secretary")
        except Refused:
            return self.by_role("chair")

    async def _vote(self, item: int, amendment: int | None) -> None:
        chair = self.by_role("chair")
        opened = await chair.post(f"{self._base}/votes", {"amendment": amendment})
        vote = opened["state"]["current_vote"]
        vote_id, order, opened_at = vote["vote_id"], vote["order"], opened["seq"]
        by_pid = {c.participant_id: c for c in self.clients.values()}
        voters = [by_pid[pid] for pid in order]
        # a reconnect happens while the voter just before the one reconnecting is called
        reconnect_before = {
            voters[max(order.index(self.clients[e].participant_id) - 1, 0)].email: e
            for e in self.scenario.reconnecting(item, amendment)
            if e in self.clients and self.clients[e].participant_id in order
        }

        async def answer(voter: Client) -> None:
            said = self.scenario.answer_of(item, amendment, voter.email)
            state = await voter.console.until(
                lambda s: (
                    s["current_vote"] is None
                    or s["current_vote"]["vote_id"] != vote_id
                    or s["current_vote"]["called_participant_id"] == voter.participant_id
                ),
                seen=opened_at,
            )
            if state["current_vote"] is None or state["current_vote"]["vote_id"] != vote_id:
                return
            if voter.email in reconnect_before:
                await self._reconnect(self.clients[reconnect_before[voter.email]])
            if said in ("for", "against", "abstain"):
                await voter.post(
                    f"{self._base}/votes/{vote_id}/ballots",
                    {"participant_id": voter.participant_id, "answer": said},
                )
            else:
                await chair.post(f"{self._base}/votes/{vote_id}/skip")

        await asyncio.gather(*(answer(v) for v in voters))
        await chair.console.until(
            lambda s: (
                s["current_vote"] is not None and len(s["current_vote"]["answers"]) == len(order)
            ),
            seen=opened_at,
        )
        closed = await chair.post(f"{self._base}/votes/{vote_id}/close")
        result = closed["events"][-1]["payload"]
        what = "текст" if amendment is None else f"поправка {amendment + 1}"
        self.log(
            f"питання {item + 1}, {what}: {'ПРИЙНЯТО' if result['adopted'] else 'не прийнято'}"
            f" (за {result['for']}, потрібно {result['required']})"
        )

    async def _reconnect(self, who: Client) -> None:
        """``who`` drops out of the call and comes back; the chair identifies them again (R11:
        whoever comes back is identified again) before their surname is called."""
        chair = self.by_role("chair")
        await self.ports.leave(self, who)
        await chair.console.until(lambda s: not self._row(s, who)["present"])
        self.log(f"{who.email} вийшов із відеоконференції під час поіменного голосування")
        await self.ports.join(self, who)
        await chair.console.until(lambda s: self._row(s, who)["present"])
        await self.ports.identify(self, chair, who)
        await chair.console.until(lambda s: self._row(s, who)["identified"])
        self.log(f"{who.email} повернувся, головуючий ідентифікував його знову")

    @staticmethod
    def _row(state: Mapping[str, Any], who: Client) -> dict[str, Any]:
        row: dict[str, Any] = next(
            p for p in state["participants"] if p["participant_id"] == who.participant_id
        )
        return row

    async def _publish(self) -> None:
        """R17–R20: the secretary finalises, the chair signs, the secretary publishes; then the
        public archive is opened once, as a citizen would, which writes the archive folder."""
        secretary = self.by_role("secretary")
        for _ in range(60):  # the recorder seals the recording's archive within seconds of close
            try:
                finalised = await secretary.post(f"{self._base}/protocol/finalise")
                break
            except Refused as exc:
                if exc.problem.get("code") != "recording_not_archived":
                    raise
                await asyncio.sleep(0.5)
        else:
            raise Refused("finalise", 409, {"detail": "the recording's archive was never sealed"})
        digest = finalised["payload"]["protocol_sha256"]
        await self.by_role("chair").post(
            f"{self._base}/protocol/signatures", {"protocol_sha256": digest}
        )
        published = await self.by_role("secretary").post(f"{self._base}/protocol/publish")
        late = " (із запізненням)" if published["payload"].get("late") else ""
        self.log(f"протокол підписано й оприлюднено{late}: sha256 {digest[:16]}…")
        assert self.admin is not None
        async with self.admin.get(f"/archive/sessions/{self.session_id}") as r:
            if r.status >= 400:
                raise Refused("GET the archive page", r.status, {"detail": await r.text()})

    async def _protocol(self) -> Path:
        """The protocol JSON as the service publishes it (folded from the journal alone)."""
        body = (await self.as_admin("GET", f"{self._base}/protocol"))["protocol"]
        events = await self.as_admin("GET", f"{self._base}/journal")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"protocol-{self.session_id}.json"
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
        journal = self.out_dir / f"journal-{self.session_id}.json"
        journal.write_text(json.dumps(events, ensure_ascii=False, indent=2), encoding="utf-8")
        return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LocalService:
    """A private ``rada serve`` for a rehearsal, in its own data folder."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=_free_port)
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    process: subprocess.Popen[bytes] | None = None
    serve_args: tuple[str, ...] = ()  # e.g. ("--workers", "2")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        env = {
            **os.environ,
            "RADA_DATA_DIR": str(self.data_dir),
            "RADA_PORT": str(self.port),
            "RADA_HOST": "127.0.0.1",
            "RADA_ADMIN_TOKEN": self.admin_token,
            "RADA_PUBLIC_URL": self.url,
            "RADA_LOG_LEVEL": "warning",
            **self.env,
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with (self.data_dir / "rada.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command, with options we chose
                [sys.executable, "-m", "orchestrator.cli", "serve", *self.serve_args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        await asyncio.to_thread(self.spawn)
        assert self.process is not None
        async with aiohttp.ClientSession() as http:
            for _ in range(STARTUP_SECONDS * 10):
                if self.process.poll() is not None:
                    raise RuntimeError(f"rada serve exited; see {self.data_dir / 'rada.log'}")
                try:
                    async with http.get(self.url + "/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("rada serve did not become healthy")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class DeploymentPorts:
    """A rada with the identity package: personal links by e-mail, Prosody's presence webhook,
    the chair's identification endpoint. Media: no recorder is wired yet, so an outage is a
    break the chair declares with cause ``recording_lost``."""

    def __init__(
        self, links: Mapping[str, str], event_secret: str, events_prefix: str = "/api/v1/jitsi"
    ) -> None:
        self.links = links  # e-mail → personal link token
        self.event_secret = event_secret
        self.events_prefix = events_prefix

    async def sign_in(self, player: Player, who: Client) -> None:
        token = self.links.get(who.email)
        if token is None:
            raise Refused(
                "sign in", 0, {"code": "no_link", "detail": f"no personal link reached {who.email}"}
            )
        async with who.http.get(f"/join/{token}", allow_redirects=False) as r:
            if r.status >= 400:
                raise Refused("open the personal link", r.status, await r.json(content_type=None))
        async with who.http.get("/api/v1/me") as r:
            me = await r.json(content_type=None)
            if r.status >= 400:
                raise Refused("GET /api/v1/me", r.status, me)
        who.headers = {"X-CSRF-Token": me["csrf_token"], "Origin": player.base_url}

    async def join(self, player: Player, who: Client) -> None:
        await self._occupant(player, who, "joined")

    async def leave(self, player: Player, who: Client) -> None:
        await self._occupant(player, who, "left")

    async def _occupant(self, player: Player, who: Client, event: str) -> None:
        """Prosody's event_sync webhook for one occupant (``joined`` or ``left``)."""
        body = {
            "room_name": player.room,
            "active_occupants_count": 1,
            "occupant": {
                "id": who.participant_id,
                "name": who.email.split("@")[0],
                f"{event}_at": int(datetime.now(UTC).timestamp()),
            },
        }
        assert player.admin is not None  # Prosody is not signed in as anyone: a bare client
        async with player.admin.post(
            f"{self.events_prefix}/events/occupant/{event}",
            json=body,
            headers={"Authorization": f"Bearer {self.event_secret}"},
        ) as r:
            if r.status >= 400:
                raise Refused("presence", r.status, await r.json(content_type=None))

    async def identify(self, player: Player, chair: Client, who: Client) -> None:
        await chair.post(
            f"/api/v1/sessions/{player.session_id}/participants/{who.participant_id}/identify"
        )

    async def recording_start(self, player: Player) -> None:
        return None

    async def outage(self, player: Player, seconds: float) -> None:
        chair = player.by_role("chair")
        await chair.post(
            f"/api/v1/sessions/{player.session_id}/breaks",
            {"cause": "recording_lost", "reason": "симуляція збою трансляції"},
        )
        await asyncio.sleep(seconds)


async def _rehearse(
    raw: object,
    args: argparse.Namespace,
    *,
    demo: bool = False,
    make_player: Callable[..., Player] | None = None,
) -> int:
    """Play ``raw``; ``make_player`` builds the player (another body's, rehearsal/committee.py)."""
    try:
        scenario = sc.parse(raw)
    except Invalid as exc:
        print(f"rada rehearse: the scenario is invalid: {exc.detail}", file=sys.stderr)
        return 2
    out_dir = Path(args.out or tempfile.mkdtemp(prefix="rada-rehearsal-"))
    service: LocalService | None = None
    sink: MailSink | None = None
    base_url, admin_token = args.url, args.admin_token
    try:
        if base_url is None:
            sink = MailSink()
            await sink.start()
            secret = secrets.token_urlsafe(24)
            service = LocalService(
                out_dir / "data",
                env={
                    # the rehearsal compresses the 24 hours of notice (R3): it opens at once
                    "RADA_OPEN_EARLY_MINUTES": str(7 * 24 * 60),
                    "RADA_RECORDING_ENABLED": "1",
                    "RADA_RECORDING_SIMULATED_CALL": "1",
                    "RADA_RECORDING_STALL_SECONDS": "2",
                    "RADA_RECORDING_JIBRI_RETRY_SECONDS": "3",
                    "RADA_RECORDING_HOST": "127.0.0.1",
                    "RADA_RECORDING_PORTS": ",".join(str(_free_port()) for _ in range(2)),
                    "RADA_SMTP_HOST": "127.0.0.1",
                    "RADA_SMTP_PORT": str(sink.port),
                    "RADA_SMTP_SECURITY": "none",
                    "RADA_JITSI_EVENT_SECRET": secret,
                },
            )
            print(f"starting a private rada in {service.data_dir}", flush=True)
            await service.start()
            base_url, admin_token = service.url, service.admin_token
            ports: Ports = SimulatedCallPorts(sink, secret, service)
        else:
            if not admin_token or not args.event_secret:
                print(
                    "rada rehearse: --url needs --admin-token and --event-secret", file=sys.stderr
                )
                return 2
            ports = DeploymentPorts(_links_from(args.links), args.event_secret, args.events_prefix)
        player = (make_player or Player)(
            base_url,
            admin_token,
            scenario,
            ports,
            out_dir,
            log=lambda line: print(line, flush=True),
            around=demo,
            sink=sink,
        )
        path = await player.play()
        print(f"protocol: {path}")
        if service is not None:
            print(f"archive: {service.data_dir / 'archive' / player.session_id}")
        return 0
    except Refused as exc:
        print(f"rada rehearse: refused by the service: {exc}", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, OSError, RuntimeError, TimeoutError) as exc:
        print(f"rada rehearse: cannot reach the service: {exc}", file=sys.stderr)
        return 3
    finally:
        if service is not None:
            await asyncio.to_thread(service.stop)
        if sink is not None:
            await sink.stop()


def _links_from(path: str | None) -> dict[str, str]:
    if path is None:
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {str(k).lower(): str(v) for k, v in data.items()}


class SinkPorts(DeploymentPorts):
    """DeploymentPorts whose personal links arrive at the rehearsal's own SMTP sink."""

    def __init__(self, sink: MailSink, event_secret: str) -> None:
        super().__init__({}, event_secret)
        self.sink = sink

    async def sign_in(self, player: Player, who: Client) -> None:
        self.links = await self.sink.links(who.email)
        await super().sign_in(player, who)


class SimulatedCallPorts(SinkPorts):
    """A private rada that records a simulated call (``RADA_RECORDING_SIMULATED_CALL=1``: an
    ffmpeg test source pushed over RTMP to the session's ingest, as Jibri pushes). An outage is
    real: the publisher is killed, the recorder's watchdog reports ``recording_lost`` and rada
    declares the technical break itself (R10); the source is started again and the break can
    end only once the recording is received again (R9)."""

    def __init__(self, sink: MailSink, event_secret: str, service: LocalService) -> None:
        super().__init__(sink, event_secret)
        self.service = service

    async def recording_start(self, player: Player) -> None:
        await player.by_role("chair").console.until(
            lambda s: s["recording"]["status"] == "receiving"
        )
        player.log("запис трансляції триває")

    async def outage(self, player: Player, seconds: float) -> None:
        import psutil

        assert self.service.process is not None
        rada = psutil.Process(self.service.process.pid)
        killed = 0
        for child in rada.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "testsrc" in " ".join(child.cmdline()):
                    child.kill()  # SIGKILL: the call's stream dies mid-flight
                    killed += 1
        if not killed:
            raise Refused("kill the simulated call", 0, {"detail": "no publisher was running"})
        chair = player.by_role("chair")
        state = await chair.console.until(lambda s: s["phase"] == "break")
        player.log(f"трансляцію втрачено; rada оголосила перерву ({state['break']['cause']})")
        await asyncio.sleep(seconds)
        await chair.console.until(lambda s: s["recording"]["status"] == "receiving")


def cmd_rehearse(args: argparse.Namespace, settings: object) -> int:
    try:
        raw = json.loads(Path(args.scenario).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"rada rehearse: cannot read {args.scenario}: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_rehearse(raw, args))


def cmd_demo(args: argparse.Namespace, settings: object) -> int:
    return asyncio.run(_rehearse(sc.demo(), args, demo=True))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="a running rada to play against (default: start a private one)")
    p.add_argument("--admin-token", help="that rada's administrator key (with --url)")
    p.add_argument("--event-secret", help="that rada's Jitsi event_sync secret (with --url)")
    p.add_argument("--links", help="with --url: a JSON file {e-mail: personal link token}")
    p.add_argument(
        "--events-prefix",
        default=EVENTS_PREFIX,
        help="with --url: that rada's RADA_JITSI_EVENTS_PREFIX",
    )
    p.add_argument("--out", help="where to write the protocol JSON (default: a new temp folder)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rehearse = sub.add_parser(
        "rehearse",
        help="play a whole session from a scenario through the public API",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rehearse.add_argument("scenario", help="SCENARIO.json (format in the README)")
    _common(rehearse)
    rehearse.set_defaults(func=cmd_rehearse)
    demo = sub.add_parser(
        "demo",
        help="rehearse the built-in scenario: 26 seats, Ґ Є І Ї, an amendment, a break",
    )
    _common(demo)
    demo.set_defaults(func=cmd_demo)
