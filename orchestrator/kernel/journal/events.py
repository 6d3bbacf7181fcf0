"""The journal's vocabulary: every event type rada appends, with its payload.

This is the contract between the packages: the conduct fold, the recorder and the protocol
all read these names. Payloads hold JSON only: strings, integers, booleans, lists, objects
(no floats: durations are integer milliseconds, times are ISO 8601 UTC strings as written by
``journal.format_time``). Payloads never hold e-mail addresses or phone numbers (R12: contact
data lives in the participant table, the journal is public).

Ids: ``participant_id`` is a UUID string, stable for the session; ``item`` is the 0-based
agenda index; ``vote_id`` is ``"<item>"`` for the main vote or ``"<item>.a<k>"`` for amendment k.
"""

from __future__ import annotations

from typing import Final

# --- convening ---------------------------------------------------------------
SESSION_CONVENED: Final = "session_convened"
"""{council: {id, name, convocation, total_composition}, title, number, starts_at, planned_end,
room, broadcast_url, agenda: [{title, category, secret_ballot: false, documents: []}],
participants: [{participant_id, member_id|null, surname, given_name, patronymic,
kind: mayor|deputy|secretary|guest, role: chair|secretary|deputy|guest}],
chair_participant_id, secretary_participant_id, chair_reason|null}

``kind`` is the person's standing in the council (the secretary is a deputy, R7; the mayor is
not a deputy but votes when taking part, R13; guests never vote). ``role`` is what they may do
in this session (orchestrator.auth.Role): the presiding person is ``chair`` (R5: the mayor, or a
stand-in with ``chair_reason``), the council secretary is ``secretary`` (R17), other deputies and a
mayor who does not preside are ``deputy``, invited guests ``guest``."""

DOCUMENT_ATTACHED: Final = "document_attached"
"""{item, document_id, filename, content_type, size, sha256}"""

SESSION_ANNOUNCED: Final = "session_announced"
"""{announced_at, starts_at, broadcast_url, notices_queued: int}"""

PARTICIPANT_ADDED: Final = "participant_added"
"""{participant: {...as in session_convened...}, reason}"""

PARTICIPANT_REMOVED: Final = "participant_removed"
"""{participant_id, reason}"""

SESSION_CANCELLED: Final = "session_cancelled"
"""{reason}"""

# --- identity and presence ---------------------------------------------------
PRESENCE_JOINED: Final = "presence_joined"
"""{participant_id|null, occupant_id, name}  (null participant_id: an unknown occupant)"""

PRESENCE_LEFT: Final = "presence_left"
"""{participant_id|null, occupant_id}"""

PARTICIPANT_IDENTIFIED: Final = "participant_identified"
"""{participant_id, confirmed_by: participant_id of the chair}"""

LINK_REVOKED: Final = "link_revoked"
"""{participant_id, reason}"""

# --- conduct -----------------------------------------------------------------
SESSION_OPENED: Final = "session_opened"
"""{by}"""

SESSION_COMPETENT: Final = "session_competent"
"""{present_deputies, total_composition, quorum}"""

ITEM_OPENED: Final = "item_opened"
"""{item}"""

DISCUSSION_LIMITED: Final = "discussion_limited"
"""{item, scope: item|speaker, seconds}"""

REMARK_RECORDED: Final = "remark_recorded"
"""{item, by_participant_id|null, text}  (R19: remarks and proposals)"""

AMENDMENT_PROPOSED: Final = "amendment_proposed"
"""{item, amendment, text, by_participant_id|null}"""

VOTE_OPENED: Final = "vote_opened"
"""{vote_id, item, amendment|null, order: [participant_id] (R15), absent: [participant_id],
total_composition, mayor_taking_part: bool, required: int (R13)}"""

DEPUTY_CALLED: Final = "deputy_called"
"""{vote_id, participant_id, position}"""

BALLOT_RECORDED: Final = "ballot_recorded"
"""{vote_id, participant_id, answer: for|against|abstain, source: deputy|secretary}"""

DEPUTY_SKIPPED: Final = "deputy_skipped"
"""{vote_id, participant_id}  (не голосував)"""

VOTE_CLOSED: Final = "vote_closed"
"""{vote_id, for, against, abstain, not_voted, absent, required, adopted: bool}"""

ITEM_CLOSED: Final = "item_closed"
"""{item}"""

BREAK_DECLARED: Final = "break_declared"
"""{cause: chair|recording_lost|quorum_lost|storage, reason, by}"""

BREAK_ENDED: Final = "break_ended"
"""{by}"""

SESSION_CLOSED: Final = "session_closed"
"""{by}"""

# --- recording ---------------------------------------------------------------
RECORDING_STARTED: Final = "recording_started"
"""{part, started_at}"""

RECORDING_LOST: Final = "recording_lost"
"""{part, cause: stall|storage|process, last_media_at}  (part: the last part, 0 if none yet; a
recorder that cannot start at all, e.g. too little free disk, journals part 0)"""

RECORDING_RESUMED: Final = "recording_resumed"
"""{part, started_at}"""

PART_CLOSED: Final = "part_closed"
"""{part, file, started_at, duration_ms, size, sha256, recovered: bool}  (recovered: closed by a
later recorder after the recording process died; the file was cut to its last complete fragment)"""

JIBRI_STATUS: Final = "jibri_status"
"""{status: ON|OFF, failure_reason|null, jibri}

From Jibri's status webhook, appended only when that Jibri's state for the session changes:
``jibri`` is its ``jibriId``; BUSY → ON, IDLE/EXPIRED → OFF, UNHEALTHY → ``failure_reason``
``unhealthy``. Additive fields: ``busy_status`` (IDLE|BUSY|EXPIRED), ``health_status``
(HEALTHY|UNHEALTHY) as Jibri reported them."""

ARCHIVE_READY: Final = "archive_ready"
"""{manifest, manifest_sha256, parts: int, duration_ms}"""

# --- protocol ----------------------------------------------------------------
PROTOCOL_FINALISED: Final = "protocol_finalised"
"""{by, protocol_sha256}"""

PROTOCOL_SIGNED: Final = "protocol_signed"
"""{by, role: chair|member, signature_sha256|null}"""

PROTOCOL_PUBLISHED: Final = "protocol_published"
"""{by, late: bool}"""
