"""A local SMTP sink for rehearsals: the private rada mails personal links here (R4, R12),
and the rehearsal reads each participant's link from their message, as a deputy would from
their inbox. Listens on 127.0.0.1 only; keeps messages in memory.
"""

from __future__ import annotations

import asyncio
import email
import logging
import re
import socket
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

JOIN = re.compile(r"/join/([A-Za-z0-9_\-]{20,})")
WAIT_SECONDS = 60
DECISION_SUBJECT = "Рішення №"  # a signed decision sent to its executors (S4)


def _text_of(message: Message) -> str:
    parts = []
    for part in message.walk():
        if part.get_content_type() == "text/plain":  # not the .ics: it folds long lines
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                parts.append(raw.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        subject = str(make_header(decode_header(str(message.get("Subject", "")))))
        if subject.startswith(DECISION_SUBJECT):
            self.sink.decisions += len(envelope.rcpt_tos)  # a signed decision to executors (S4)
        found = JOIN.findall(_text_of(message))
        for rcpt in envelope.rcpt_tos:
            if found:
                self.sink.received(str(rcpt).lower(), found[0])
        return "250 OK"


class MailSink:
    """``await sink.links(address)`` waits for the personal link mailed to ``address``."""

    def __init__(self) -> None:
        self.port = 0
        self.decisions = 0  # messages that carried a signed decision to an executor
        self._links: dict[str, str] = {}
        self._arrived = asyncio.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._controller: Controller | None = None

    async def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every line
        self._loop = asyncio.get_running_loop()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(self._controller.start)

    def received(self, address: str, token: str) -> None:
        """Called on the SMTP thread."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._store(address, token), self._loop)

    async def _store(self, address: str, token: str) -> None:
        async with self._arrived:
            self._links[address] = token
            self._arrived.notify_all()

    async def links(self, address: str) -> dict[str, str]:
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: address in self._links), WAIT_SECONDS
            )
            return dict(self._links)

    async def stop(self) -> None:
        if self._controller is not None:
            await asyncio.to_thread(self._controller.stop)
