"""``rada demo --body executive-committee`` and ``rada rehearse`` of an executive committee's
scenario (``"body": "executive_committee"``): the meeting played through the public API.

What differs from the council's player (``play.py``), by the committee's rules:
- convening (E1, E4, E6): the committee's total composition and roster (the e-mail and phone
  each member gave personally); the stand-in named in ``session.chair`` presides with the
  reason (the mayor absent, the first deputy mayor presides);
- the sitting (E4, E7): remarks and proposals are recorded by the general department, a
  proposal that changes the draft is voted before the text; every member answers at once on
  their own page, the department enters an answer given by phone (``"via": "phone"``), and
  the department closes the vote;
- after the sitting (E5): the presiding person signs, then every member who voted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestrator.convening.bodies import KIND_UK, BodyKind
from orchestrator.kernel.errors import Invalid
from orchestrator.kernel.ukrainian import plural
from orchestrator.rehearsal import play
from orchestrator.rehearsal import scenario as sc

SPOKEN = frozenset({"for", "against", "abstain"})
BODY_OPTION = {"council": BodyKind.COUNCIL, "executive-committee": BodyKind.EXECUTIVE_COMMITTEE}


@dataclass(frozen=True, slots=True)
class Said:
    """A remark or a proposal (amendment) on an item, by a member (e-mail)."""

    item: int
    by: str
    text: str


@dataclass(frozen=True, slots=True)
class CommitteePlan:
    """The committee scenario's own keys (the rest is :class:`scenario.Scenario`)."""

    composition: int = 1
    chair: str = ""  # the presiding member's e-mail (E1)
    chair_reason: str = ""
    phone: frozenset[tuple[int, int | None, str]] = frozenset()  # (item, amendment, e-mail)
    remarks: tuple[Said, ...] = ()
    amendments: tuple[Said, ...] = ()

    def texts(self, item: int) -> list[Said]:
        return [a for a in self.amendments if a.item == item]


def _said(raw: object, where: str, emails: set[str]) -> list[Said]:
    out = []
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(entry, Mapping):
            raise Invalid(f"{where}[{i}] must be an object", field=f"{where}[{i}]")
        by, text, item = entry.get("by"), entry.get("text"), entry.get("item")
        if not isinstance(item, int) or not isinstance(text, str) or not text.strip():
            raise Invalid(f"{where}[{i}] needs an item and a text", field=f"{where}[{i}]")
        if not isinstance(by, str) or by.lower() not in emails:
            raise Invalid(f"{where}[{i}].by is not on the roster", field=f"{where}[{i}].by")
        out.append(Said(item, by.lower(), text.strip()))
    return out


def parse_plan(raw: Mapping[str, Any], scenario: sc.Scenario) -> CommitteePlan:
    """The committee's keys of a scenario whose shape :func:`scenario.parse` has checked."""
    emails = {p.email for p in scenario.roster}
    composition = raw.get("composition")
    if not isinstance(composition, int) or isinstance(composition, bool) or composition < 1:
        raise Invalid("composition must be the committee's total composition", field="composition")
    chair = str(scenario.session.get("chair", "")).lower()
    if chair not in emails:
        raise Invalid("session.chair must be a roster e-mail (E1)", field="session.chair")
    phone = {
        (a["item"], a.get("amendment"), str(a["by"]).lower())
        for a in raw.get("answers", [])
        if isinstance(a, Mapping) and a.get("via") == "phone"
    }
    return CommitteePlan(
        composition=composition,
        chair=chair,
        chair_reason=str(scenario.session.get("chair_reason", "")),
        phone=frozenset(phone),
        remarks=tuple(_said(raw.get("remarks"), "remarks", emails)),
        amendments=tuple(_said(raw.get("amendments"), "amendments", emails)),
    )


@dataclass
class CommitteePlayer(play.Player):
    """The council's player with the committee's convening, voting and signing."""

    plan: CommitteePlan = field(default_factory=CommitteePlan)

    async def convene(self) -> None:
        s, plan = self.scenario, self.plan
        council = await self.as_admin("POST", "/api/v1/councils", json=s.council)
        body = f"/api/v1/councils/{council['id']}/bodies/{BodyKind.EXECUTIVE_COMMITTEE.value}"
        await self.as_admin("PUT", body, json={"total_composition": plan.composition})
        members = [p.roster_row() for p in s.roster if p.role != "guest"]
        roster = await self.as_admin("PUT", f"{body}/roster", json=members)
        listed = await self.as_admin("GET", f"{body}/roster")
        chair = next(m["id"] for m in listed if m["email"].lower() == plan.chair)
        made = await self.as_admin(
            "POST",
            f"/api/v1/councils/{council['id']}/sessions",
            json={
                "body": BodyKind.EXECUTIVE_COMMITTEE.value,
                "title": s.session["title"],
                "number": s.session["number"],
                "starts_at": (datetime.now(UTC) + play.NOTICE).isoformat(),
                "agenda": s.session["agenda"],
                "chair_member_id": chair,
                "chair_reason": plan.chair_reason,
            },
        )
        self.session_id = made["id"]
        await self.as_admin("POST", f"{self._base}/announce")
        self.room = (await self.as_admin("GET", self._base))["room"]
        listed_uk = plural(roster["added"], "особа", "особи", "осіб")
        role = next(p.role for p in s.roster if p.email == plan.chair)
        self.log(
            f"скликано засідання виконавчого комітету {self.session_id} (у списку {listed_uk}); "
            f"головує {KIND_UK.get(role, role)}: {plan.chair_reason}"
        )

    async def open_session(self) -> None:
        """E6: the general department confirms each member by calling back the personal phone
        on the list (the chair confirms the department itself)."""
        chair, department = self.by_role("chair"), self.by_role("secretary")
        await chair.post(f"{self._base}/open")
        await self.ports.recording_start(self)
        for c in self.clients.values():
            await self.ports.join(self, c)
        for c in self.clients.values():
            by = chair if c is department else department
            await by.post(f"{self._base}/participants/{c.participant_id}/identify-by-phone")
        state = await chair.console.until(
            lambda s: all(p["identified"] for p in s["participants"] if p["present"])
        )
        q = state["quorum"]
        self.log(
            f"загальний відділ ідентифікував членів виконкому дзвінком на особисті телефони; "
            f"кворум {q['present_deputies']}/{q['required']}"
        )

    async def _item(self, index: int) -> None:
        chair, department = self.by_role("chair"), self.by_role("secretary")
        await chair.post(f"{self._base}/items/{index}/open")
        for remark in (r for r in self.plan.remarks if r.item == index):
            await department.post(
                f"{self._base}/remarks",
                {"text": remark.text, "by_participant_id": self._pid(remark.by)},
            )
        proposals = self.plan.texts(index)
        for proposal in proposals:  # a proposal that changes the draft (E4, E5)
            await department.post(
                f"{self._base}/amendments",
                {"text": proposal.text, "by_participant_id": self._pid(proposal.by)},
            )
        for k in range(len(proposals)):
            await self._vote(index, k)
        await self._vote(index, None)
        await chair.post(f"{self._base}/items/{index}/close")

    def _pid(self, email: str) -> str | None:
        who = self.clients.get(email)
        return None if who is None else who.participant_id

    async def _vote(self, item: int, amendment: int | None) -> None:
        """E7: everyone answers at once; the department enters phone answers and closes."""
        chair, department = self.by_role("chair"), self.by_role("secretary")
        opened = await chair.post(f"{self._base}/votes", {"amendment": amendment})
        vote = opened["state"]["current_vote"]
        vote_id = vote["vote_id"]
        by_pid = {c.participant_id: c for c in self.clients.values()}
        own: list[tuple[play.Client, str]] = []
        by_phone: list[tuple[play.Client, str]] = []
        for pid in vote["order"]:
            voter = by_pid[pid]
            said = self.scenario.answer_of(item, amendment, voter.email)
            if said not in SPOKEN:
                continue  # gives no answer: не голосував
            phoned = (item, amendment, voter.email) in self.plan.phone
            (by_phone if phoned else own).append((voter, said))
        ballots = f"{self._base}/votes/{vote_id}/ballots"
        await asyncio.gather(
            *(v.post(ballots, {"participant_id": v.participant_id, "answer": a}) for v, a in own)
        )
        for voter, said in by_phone:
            await department.post(ballots, {"participant_id": voter.participant_id, "answer": said})
            self.log(f"{voter.email} відповів телефоном; відповідь вніс загальний відділ")
        await department.console.until(
            lambda s: (
                s["current_vote"] is not None
                and len(s["current_vote"]["answers"]) == len(own) + len(by_phone)
            ),
            seen=opened["seq"],
        )
        closed = await department.post(f"{self._base}/votes/{vote_id}/close")
        result = closed["events"][-1]["payload"]
        what = "текст" if amendment is None else f"пропозиція {amendment + 1}"
        self.log(
            f"питання {item + 1}, {what}: {'ПРИЙНЯТО' if result['adopted'] else 'не прийнято'}"
            f" (за {result['for']} з {self.plan.composition}, потрібно {result['required']})"
        )

    async def _publish(self) -> None:
        """E5: finalised by the department, signed by the presiding person, published; then
        agreed by signing by every member who voted."""
        await super()._publish()
        protocol = (await self.as_admin("GET", f"{self._base}/protocol"))["protocol"]
        status = await self.as_admin("GET", f"{self._base}/protocol/status")
        by_pid = {c.participant_id: c for c in self.clients.values()}
        voted = {
            row["participant_id"]
            for item in protocol["agenda"]
            for vote in [item["vote"], *(a["vote"] for a in item["amendments"])]
            if vote is not None
            for row in vote["roll_call"]
            if row["answer"] in SPOKEN
        } - {self.by_role("chair").participant_id}
        for pid in sorted(voted):
            await by_pid[pid].post(
                f"{self._base}/protocol/signatures",
                {"protocol_sha256": status["protocol_sha256"]},
            )
        self.log(f"протокол погодили підписом члени виконкому, які голосували: {len(voted)}")


def demo() -> dict[str, Any]:
    """11 members, the mayor on leave (the first deputy mayor presides), a member answering by
    phone, a remark that changes a draft, a question failing with 5 for of 11."""
    people = [
        ("Коваленко", "Олена", "Петрівна", "mayor"),
        ("Бойко", "Сергій", "Іванович", "first_deputy_mayor"),
        ("Гончар", "Ніна", "Павлівна", "deputy_mayor"),
        ("Єрмоленко", "Ірина", "Олегівна", "secretary"),
        ("Ґудзь", "Богдан", "Ігорович", "member"),
        ("Іваненко", "Андрій", "Миколайович", "member"),
        ("Їжакевич", "Марія", "Степанівна", "member"),
        ("Д'яченко", "Тарас", "Васильович", "member"),
        ("Литвин", "Галина", "Іванівна", "member"),
        ("Мельник", "Віктор", "Сергійович", "member"),
        ("Ус", "Лариса", "Андріївна", "member"),
        ("Савчук", "Алла", "Романівна", "general_department"),
    ]
    roster = [
        {
            "surname": surname,
            "given_name": given,
            "patronymic": patronymic,
            "role": role,
            "email": f"member{i:02d}@personal.demo.rada.test",
            "phone": f"+3806700000{i:02d}",
        }
        for i, (surname, given, patronymic, role) in enumerate(people)
    ]
    email = {p["surname"]: p["email"] for p in roster}
    attending = [p["email"] for p in roster[1:]]  # the mayor is on leave
    voters = [e for e in attending if e != email["Савчук"]]  # 10 of 11 members
    phone = email["Мельник"]
    answers: list[dict[str, Any]] = []
    for n, who in enumerate(voters):
        via = {"via": "phone"} if who == phone else {}
        answers.append({"item": 0, "amendment": 0, "by": who, "answer": "for", **via})
        answers.append({"item": 0, "by": who, "answer": "against" if n == 9 else "for", **via})
        # item 2: 5 for, 3 against, 2 abstain: not more than half of 11 (E4)
        second = "for" if n < 5 else "against" if n < 8 else "abstain"
        answers.append({"item": 1, "by": who, "answer": second, **via})
    return {
        "body": "executive_committee",
        "composition": 11,
        "council": {
            "name": "Демонстраційна міська рада",
            "convocation": 8,
            "total_composition": 26,
        },
        "roster": roster,
        "session": {
            "title": "Позачергове дистанційне засідання виконавчого комітету",
            "number": 1,
            "chair": email["Бойко"],
            "chair_reason": "міський голова у щорічній відпустці (розпорядження від 20.11.2026)",
            "agenda": [
                {
                    "title": "Про виділення коштів з резервного фонду на аварійно-відновлювальні "
                    "роботи на водогоні",
                    "category": "emergency_works",
                    "secret_ballot": False,
                },
                {
                    "title": "Про перерозподіл бюджетних призначень на 2026 рік",
                    "category": "urgent_budget",
                    "secret_ballot": False,
                },
            ],
        },
        "attend": attending,
        "answers": answers,
        "breaks": [],
        "remarks": [
            {"item": 0, "by": email["Гончар"], "text": "Уточнити перелік будинків у додатку"},
        ],
        "amendments": [
            {
                "item": 0,
                "by": email["Литвин"],
                "text": "У пункті 1 суму «250 тис. грн» замінити на «320 тис. грн»",
            }
        ],
    }


async def _committee(raw: Mapping[str, Any], args: argparse.Namespace) -> int:
    try:
        scenario = sc.parse(raw)
        plan = parse_plan(raw, scenario)
    except Invalid as exc:
        print(f"rada rehearse: the scenario is invalid: {exc.detail}", file=sys.stderr)
        return 2

    def make(
        base_url: str,
        admin_token: str,
        scenario: sc.Scenario,
        ports: play.Ports,
        out_dir: Path,
        **kw: Any,
    ) -> play.Player:
        return CommitteePlayer(base_url, admin_token, scenario, ports, out_dir, plan=plan, **kw)

    return await play._rehearse(raw, args, make_player=make)


def _is_committee(raw: object) -> bool:
    return isinstance(raw, Mapping) and raw.get("body") == BodyKind.EXECUTIVE_COMMITTEE.value


def cmd_demo(args: argparse.Namespace, settings: object) -> int:
    if BODY_OPTION[args.body] is BodyKind.EXECUTIVE_COMMITTEE:
        return asyncio.run(_committee(demo(), args))
    return play.cmd_demo(args, settings)


def cmd_rehearse(args: argparse.Namespace, settings: object) -> int:
    try:
        raw = json.loads(Path(args.scenario).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"rada rehearse: cannot read {args.scenario}: {exc}", file=sys.stderr)
        return 2
    if _is_committee(raw):
        return asyncio.run(_committee(raw, args))
    return asyncio.run(play._rehearse(raw, args))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Teach ``rada demo`` and ``rada rehearse`` (registered by play.py) the committee."""
    demo_parser = sub.choices["demo"]
    demo_parser.add_argument(
        "--body",
        choices=sorted(BODY_OPTION),
        default="council",
        help="which body meets: the council (default) or its executive committee (11 members, "
        "the first deputy mayor presides, an answer by phone, a failed question)",
    )
    demo_parser.set_defaults(func=cmd_demo)
    sub.choices["rehearse"].set_defaults(func=cmd_rehearse)
