"""Identity use-cases: signing in through a personal link, revoking and re-issuing links,
Jitsi tokens, presence from Prosody's webhooks and the chair's identification (R11, R12, R16).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from identity import links, store
from identity.errors import LinkRateLimited, LinkRefused, OutsideSessionWindow, TokenRefused
from identity.kick import Kicker
from identity.tokens import (
    SessionWindow,
    TokenIssuer,
    TokenSubject,
    build_claims,
    check_claims,
    parse_check_room,
)
from orchestrator.convening import attendance
from orchestrator.convening import store as core
from orchestrator.convening.bodies import IdentificationMethod, rule_set
from orchestrator.kernel.clock import Clock
from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, Forbidden, Invalid, NotFound, RuleViolation
from orchestrator.kernel.journal import events
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.settings.identity import JitsiSettings
from orchestrator.kernel.web.auth import Principal, Role

log = structlog.get_logger(__name__)

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 10
"""Wrong personal links one address may try per window before it gets 429."""
ENDED = [events.SESSION_CLOSED, events.SESSION_CANCELLED]
MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class SignInResult:
    cookie: str
    """The opaque cookie value (only its SHA-256 is stored)."""
    csrf_token: str
    session_id: UUID
    participant_id: UUID
    role: Role
    expires_at: datetime


def _room_of(raw: object) -> str:
    """``room_name`` as event_sync sends it: a bare room or ``room@muc.domain``."""
    if not isinstance(raw, str) or not raw:
        raise Invalid("room_name must be a non-empty string", field="room_name")
    return raw.partition("@")[0].lower()


def _occupant(body: Mapping[str, Any]) -> tuple[str, str]:
    occupant = body.get("occupant")
    if not isinstance(occupant, dict):
        raise Invalid("occupant must be an object", field="occupant")
    occupant_id = occupant.get("id") or occupant.get("occupant_jid")
    if not isinstance(occupant_id, str) or not occupant_id or len(occupant_id) > 300:
        raise Invalid("occupant.id must be a string", field="occupant.id")
    name = occupant.get("name")
    return occupant_id, (name if isinstance(name, str) else "")[:MAX_NAME]


def _nick(body: Mapping[str, Any]) -> str | None:
    """The occupant's MUC nick: the resource of ``occupant.occupant_jid`` (room@muc/nick)."""
    occupant = body.get("occupant")
    jid = occupant.get("occupant_jid") if isinstance(occupant, dict) else None
    if not isinstance(jid, str):
        return None
    nick = jid.partition("/")[2]
    return nick if 0 < len(nick) <= 200 else None


def canonical_uuid(text: str) -> UUID | None:
    """The UUID ``text`` spells in the one canonical form (lower case, hyphenated, 36
    characters: what rada writes into a token's ``context.user.id``), else ``None``. Other
    spellings of the same UUID (upper case, no hyphens, ``urn:uuid:``, braces) come from no
    rada token, so they name nobody (R11: identification belongs to the occupant identified)."""
    try:
        value = UUID(text)
    except ValueError:
        return None
    return value if str(value) == text else None


def _spells_a_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


async def _revoke(
    conn: Conn, session_id: UUID, participant_id: UUID, reason: str, actor: str, now: datetime
) -> bool:
    """Revoke the current link (its sign-ins end with it) and journal it; False if none."""
    if not await store.revoke_current_link(conn, session_id, participant_id, now, reason):
        return False
    await journal_store.append_event(
        conn,
        session_id,
        events.LINK_REVOKED,
        {"participant_id": str(participant_id), "reason": reason},
        actor=actor,
        at=now,
    )
    return True


class IdentityService:
    def __init__(
        self,
        pool: asyncpg.Pool,
        jitsi: JitsiSettings,
        issuer: TokenIssuer,
        *,
        clock: Clock,
        kicker: Kicker | None = None,
    ) -> None:
        self.pool = pool
        self.jitsi = jitsi
        self.issuer = issuer
        self.clock = clock
        self.kicker = kicker

    # --- signing in ----------------------------------------------------------------------

    async def open_link(self, token: str, address: str) -> SignInResult:
        """A browser opens a personal link: check it, then sign this browser in. A valid link
        always signs in; only wrong links count against the address, and once it has tried
        :data:`MAX_FAILURES` of them in :data:`FAILURE_WINDOW` its next wrong ones get 429 until
        the window ends (a shared Wi-Fi or an unset ``RADA_TRUSTED_PROXIES`` puts many people
        behind one address: one person's typos must not lock the others out)."""
        now = self.clock()
        async with self.pool.acquire() as conn:
            stored = (
                await store.get_link(conn, links.digest(token))
                if links.looks_like_token(token)
                else None
            )
            state = links.check(stored, token, now)
            ref = (
                await store.get_participant(conn, stored.session_id, stored.participant_id)
                if stored is not None
                else None
            )
            if state is not links.LinkState.VALID or stored is None or ref is None or ref.removed:
                failures, window_start = await store.link_failures(
                    conn, address, now, FAILURE_WINDOW
                )
                if failures >= MAX_FAILURES and window_start is not None:
                    retry_after = window_start + FAILURE_WINDOW - now
                    log.warning("link_rate_limited", failures=failures)
                    raise LinkRateLimited(
                        "too many wrong links from this address; try again later",
                        retry_after=max(1, math.ceil(retry_after.total_seconds())),
                    )
                count = await store.record_link_failure(conn, address, now, FAILURE_WINDOW)
                log.info("link_refused", state=state.value, failures=count)
                raise LinkRefused("this link is not valid (unknown, expired or revoked)")
            cookie = secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(32)
            async with conn.transaction():
                await store.replace_signin(conn, links.digest(cookie), stored, csrf, now)
                await store.mark_link_used(conn, stored.digest, now)
        log.info(
            "signed_in",
            session_id=str(stored.session_id),
            participant_id=str(stored.participant_id),
            role=ref.role.value,
        )
        return SignInResult(
            cookie, csrf, stored.session_id, stored.participant_id, ref.role, stored.expires_at
        )

    async def signin(self, cookie: str) -> store.SignIn | None:
        async with self.pool.acquire() as conn:
            return await store.get_signin(conn, links.digest(cookie), self.clock())

    async def sign_out(self, cookie: str) -> None:
        async with self.pool.acquire() as conn:
            await store.delete_signin(conn, links.digest(cookie))

    # --- links ---------------------------------------------------------------------------

    async def issue_link(
        self, session_id: UUID, participant_id: UUID
    ) -> tuple[str, store.ParticipantRef, core.SessionRow]:
        """A fresh personal link for the notice (any earlier one is revoked, journaled).
        The token is returned once, for the e-mail; only its digest is stored."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            ref = await store.get_participant(conn, session_id, participant_id)
            if ref is None or ref.removed:
                raise NotFound("no such participant in this session", code="participant_not_found")
            session = await core.get_session(conn, session_id)
            await _revoke(conn, session_id, participant_id, "superseded by a new link", "rada", now)
            issued = links.issue(session.planned_end)
            stored = links.StoredLink(
                issued.digest, session_id, participant_id, links.Purpose.JOIN, issued.expires_at
            )
            await store.insert_link(conn, stored, now)
        return issued.token, ref, session

    async def revoke(
        self, session_id: UUID, participant_id: UUID, reason: str, by: Principal
    ) -> None:
        """Revoke a participant's link at once: their sign-ins end with it (journaled)."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            await core.get_session(conn, session_id)
            if await store.get_participant(conn, session_id, participant_id) is None:
                raise NotFound("no such participant in this session", code="participant_not_found")
            if not await _revoke(conn, session_id, participant_id, reason, by.actor, now):
                raise Conflict("this participant has no current link", code="no_current_link")
        log.info("link_revoked", session_id=str(session_id), participant_id=str(participant_id))
        await self.remove_from_call(session_id, participant_id)

    async def remove_from_call(self, session_id: UUID, participant_id: UUID) -> int:
        """Where the operator enabled ``mod_muc_kick_participant``, remove the participant's
        occupants from the call now (a revoked participant cannot rejoin in any case)."""
        if self.kicker is None:
            return 0
        async with self.pool.acquire() as conn:
            room = await store.room_of(conn, session_id)
            nicks = await store.nicks_in_call(conn, session_id, participant_id)
        kicked = 0
        for nick in nicks:
            if room is not None and await self.kicker.kick(room, nick, self.clock()):
                kicked += 1
        return kicked

    async def reissue(
        self, session_id: UUID, participant_ids: list[UUID] | None, by: Principal
    ) -> int:
        """Revoke the current links and queue the notice again: the new link goes only to the
        official address (R12), never to the caller."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            session = await core.get_session(conn, session_id)
            if session.announced_at is None:
                raise Conflict(
                    "links go out with the convening notice: announce the session first",
                    code="not_announced",
                )
            if await store.journal_types(conn, session_id, ENDED):
                raise Conflict("the session has ended", code="session_ended")
            listed = {
                p.participant.participant_id for p in await core.list_participants(conn, session_id)
            }
            targets = sorted(listed) if participant_ids is None else participant_ids
            for pid in targets:
                if pid not in listed:
                    raise NotFound(
                        f"no participant {pid} in this session", code="participant_not_found"
                    )
                await _revoke(conn, session_id, pid, "reissued", by.actor, now)
                await store.requeue_notice(conn, session_id, pid)
        log.info("links_reissued", session_id=str(session_id), count=len(targets))
        for pid in targets:
            await self.remove_from_call(session_id, pid)
        return len(targets)

    # --- notices (R4) ---------------------------------------------------------------------

    async def notices(self, session_id: UUID) -> list[store.NoticeRow]:
        """The session's convening notices in the order they were queued."""
        async with self.pool.acquire() as conn:
            await core.get_session(conn, session_id)
            return await store.list_notices(conn, session_id)

    async def deliveries(self, session_id: UUID) -> list[store.NoticeRow]:
        """The same notices by participant name: what the secretary checks before the session."""
        async with self.pool.acquire() as conn:
            await core.get_session(conn, session_id)
            return await store.deliveries(conn, session_id)

    # --- Jitsi ---------------------------------------------------------------------------

    async def _token_subject(self, p: Principal) -> tuple[store.TokenContext, TokenSubject]:
        """Whom a token names: a participant still on the list of a session not ended."""
        assert p.session_id is not None
        assert p.participant_id is not None
        async with self.pool.acquire() as conn:
            found = await store.token_context(conn, p.session_id, p.participant_id)
        if found is None or found.participant.removed:
            raise NotFound("you are not on this session's list", code="participant_not_found")
        if found.ended:
            raise OutsideSessionWindow("the session has ended")
        ref = found.participant
        subject = TokenSubject(ref.participant_id, ref.surname, ref.given_name, ref.email, ref.role)
        return found, subject

    async def jitsi_token(self, p: Principal) -> dict[str, Any]:
        """The signed-in participant's token for their session's room, inside the window."""
        now = self.clock()
        found, subject = await self._token_subject(p)
        window = SessionWindow(found.starts_at, found.planned_end, in_progress=found.opened)
        return self._token_answer(
            build_claims(self.jitsi, subject, found.room, window, now), subject
        )

    async def jitsi_test_token(self, p: Principal) -> dict[str, Any]:
        """The participant's short test token for their own test room (P1 technical check):
        any time before the session ends, never a moderator, never valid for a session room."""
        now = self.clock()
        _, subject = await self._token_subject(p)
        assert p.session_id is not None
        return self._token_answer(check_claims(self.jitsi, subject, p.session_id, now), subject)

    def _token_answer(self, claims: dict[str, Any], subject: TokenSubject) -> dict[str, Any]:
        return {
            "jwt": self.issuer.sign(claims),
            "room": claims["room"],
            "domain": self.jitsi.domain,
            "display_name": subject.display_name,
            "expires_at": claims["exp"],
        }

    async def jitsi_access(self, token: str) -> bool:
        """Prosody's ``mod_muc_auth_ban`` asks whether a token may still be used (it sends the
        occupant's own token): only a token rada issued, for a session's room (or for the
        participant's own test room, P1, with a test token naming that participant and no
        moderator), naming a participant still on its list, issued after their last link revocation, while the
        session has not ended. Anything else, including a token rada cannot read, is refused."""
        try:
            room = self.issuer.room_of(token)
            claims = self.issuer.verifier().verify(token, room=room, now=self.clock())
        except TokenRefused as exc:
            log.info("jitsi_access_refused", reason=exc.reason)
            return False
        pid = canonical_uuid(str(claims["context"]["user"]["id"]))
        test = parse_check_room(room)
        if test is not None and (pid is None or test[1] != pid):
            log.info("jitsi_access_refused", reason="test_room_of_another")
            return False
        async with self.pool.acquire() as conn:
            # a test room is its participant's alone (P1 technical check); a session room is
            # looked up, and no session's room is ever a test room's name
            session_id = test[0] if test else await store.session_by_room(conn, room)
            found = (
                await store.token_context(conn, session_id, pid)
                if session_id is not None and pid is not None
                else None
            )
            revoked = (
                await store.last_revocation(conn, found.participant.session_id, pid)
                if found is not None and pid is not None
                else None
            )
        allowed = (
            found is not None
            and not found.participant.removed
            and not found.ended
            and (revoked is None or revoked.timestamp() < claims.get("iat", claims["nbf"]))
        )
        if test is not None and claims["context"]["user"].get("affiliation") != "member":
            allowed = False  # nobody moderates a test room
        log.info("jitsi_access_checked", allowed=allowed, test_room=test is not None)
        return allowed

    # --- presence (event_sync webhooks) --------------------------------------------------

    async def occupant_joined(self, body: Mapping[str, Any]) -> bool:
        if body.get("is_breakout") is True:
            log.info("breakout_event_ignored")  # the plenary happens in the main room only
            return False
        room = _room_of(body.get("room_name"))
        occupant_id, name = _occupant(body)
        if parse_check_room(room) is not None:
            log.info("test_room_event_ignored")  # a technical check is no presence (R7)
            return False
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            session_id = await self._session_for(conn, room)
            pid = canonical_uuid(occupant_id)
            if pid is None and _spells_a_uuid(occupant_id):
                log.warning("occupant_id_not_canonical")  # an unknown occupant, never trusted
            ref = await store.get_participant(conn, session_id, pid) if pid else None
            known = ref is not None and not ref.removed
            if known:
                assert ref is not None
                name = f"{ref.surname} {ref.given_name}"
            participant_id = ref.participant_id if known and ref else None
            fresh = await store.open_presence(
                conn,
                session_id,
                store.Occupant(occupant_id, participant_id, name, now, _nick(body)),
            )
            if fresh:
                await journal_store.append_event(
                    conn,
                    session_id,
                    events.PRESENCE_JOINED,
                    {
                        "participant_id": str(participant_id) if participant_id else None,
                        "occupant_id": occupant_id,
                        # the list's name; an unknown occupant's typed name (maybe an e-mail or
                        # a phone) stays in the presence table for the chair, out of the public
                        # journal (R12)
                        "name": name if known else "",
                    },
                    actor="jitsi",
                    at=now,
                )
        log.info("occupant_joined", session_id=str(session_id), known=known, fresh=fresh)
        return fresh

    async def occupant_left(self, body: Mapping[str, Any]) -> int:
        if body.get("is_breakout") is True:
            log.info("breakout_event_ignored")
            return 0
        room = _room_of(body.get("room_name"))
        occupant_id, _ = _occupant(body)
        if parse_check_room(room) is not None:
            return 0
        return await self._close(room, occupant_id)

    async def room_destroyed(self, body: Mapping[str, Any]) -> int:
        room = _room_of(body.get("room_name"))
        return 0 if parse_check_room(room) is not None else await self._close(room, None)

    async def room_created(self, body: Mapping[str, Any]) -> None:
        room = _room_of(body.get("room_name"))
        if parse_check_room(room) is not None:
            return
        async with self.pool.acquire() as conn:
            session_id = await self._session_for(conn, room)
        log.info("jitsi_room_created", session_id=str(session_id))

    async def _close(self, room: str, occupant_id: str | None) -> int:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            session_id = await self._session_for(conn, room)
            closed = await store.close_presence(conn, session_id, occupant_id, now)
            for occ in closed:
                await journal_store.append_event(
                    conn,
                    session_id,
                    events.PRESENCE_LEFT,
                    {
                        "participant_id": str(occ.participant_id) if occ.participant_id else None,
                        "occupant_id": occ.occupant_id,
                    },
                    actor="jitsi",
                    at=now,
                )
        log.info("occupants_left", session_id=str(session_id), count=len(closed))
        return len(closed)

    @staticmethod
    async def _session_for(conn: Conn, room: str) -> UUID:
        session_id = await store.session_by_room(conn, room)
        if session_id is None:
            raise NotFound("no session uses this room", code="room_not_found")
        return session_id

    # --- identification (R11) ------------------------------------------------------------

    @staticmethod
    async def _attendance(conn: Conn, session_id: UUID) -> dict[str, attendance.Attendance]:
        """Who is in the call and identified now, by the same rule as quorum (R7, R11)."""
        return attendance.fold(await store.attendance_events(conn, session_id))

    async def identify(
        self,
        session_id: UUID,
        participant_id: UUID,
        by: Principal,
        method: IdentificationMethod = IdentificationMethod.SEEN_AND_HEARD,
    ) -> None:
        """The chair confirms a participant seen and heard in the call (R11); for the executive
        committee the chair or the general department confirms by calling back the personal
        phone on the list (E6). Journaled, with the method when it is a call-back."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            body = await conn.fetchval(
                "SELECT body FROM sessions WHERE id = $1 FOR UPDATE", session_id
            )
            rules = rule_set(body)
            if by.role is None or by.role.value not in rules.identifiers:
                raise Forbidden(
                    "only the presiding person identifies participants (R11)", code="not_chair"
                )
            if method is IdentificationMethod.PHONE_CALLBACK and not rules.identify_by_phone:
                raise RuleViolation(
                    "R11, R12: the council's participants are identified in the call",
                    code="phone_identification_not_used",
                )
            ref = await store.get_participant(conn, session_id, participant_id)
            if ref is None or ref.removed:
                raise NotFound("no such participant in this session", code="participant_not_found")
            if await store.journal_types(conn, session_id, ENDED):
                raise Conflict("the session has ended", code="session_ended")
            now_attending = await self._attendance(conn, session_id)
            mine = now_attending.get(str(participant_id), attendance.Attendance())
            if mine.identified:
                raise Conflict("this participant is already identified", code="already_identified")
            if not mine.present:
                raise Conflict(
                    "R11: identify a participant only while they are in the call",
                    code="not_present",
                )
            payload = {
                "participant_id": str(participant_id),
                "confirmed_by": str(by.participant_id),
            }
            if method is not IdentificationMethod.SEEN_AND_HEARD:
                payload["method"] = method.value  # E6: the number itself stays off the journal
            await journal_store.append_event(
                conn,
                session_id,
                events.PARTICIPANT_IDENTIFIED,
                payload,
                actor=by.actor,
                at=now,
            )
        log.info(
            "participant_identified",
            session_id=str(session_id),
            participant_id=str(participant_id),
            method=method.value,
        )

    async def roll(self, session_id: UUID) -> dict[str, Any]:
        """The chair's identification list: everyone with presence and identification, and the
        occupants that match nobody (shown, never counted). No contact data, but for an
        executive committee each member's personal phone, for the call-back (E6)."""
        async with self.pool.acquire() as conn:
            session = await core.get_session(conn, session_id)
            people = await core.list_participants(conn, session_id)
            in_call = await store.present(conn, session_id)
            now_attending = await self._attendance(conn, session_id)
        nobody = attendance.Attendance()
        return {
            "participants": [
                {
                    "participant_id": str(p.participant.participant_id),
                    "name": f"{p.participant.person.surname} {p.participant.person.given_name}",
                    "role": p.participant.role,
                    "present": now_attending.get(str(p.participant.participant_id), nobody).present,
                    "identified": now_attending.get(
                        str(p.participant.participant_id), nobody
                    ).identified,
                    **(
                        {"phone": p.participant.person.phone}
                        if rule_set(session.body).identify_by_phone
                        else {}
                    ),
                }
                for p in people
            ],
            "unknown_occupants": [
                {"occupant_id": o.occupant_id, "name": o.name, "joined_at": o.joined_at.isoformat()}
                for o in in_call
                if o.participant_id is None
            ],
        }
