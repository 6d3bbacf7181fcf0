"use strict";
// The 24-hour clock after the session's end (R18, R19) on the chair's and the
// secretary's consoles: the deadline, a countdown, where the protocol stands
// (GET /api/v1/sessions/{id}/protocol/status) and this role's acts: the secretary finalises,
// the chair signs (optionally with a detached .p7s made outside rada), both publish.
// Screen readers: the countdown is a timer (aria-live off) whose text changes at most once a
// minute; the one-line summary (#protocol-summary, polite) changes only when the state does.
const PROTOCOL_ROLE = document.getElementById("protocol-panel").dataset.role;  // chair|secretary
const SIGNER_UK = {chair: "головуючий", member: "член ради"};
const protocol = {status: null, seq: -1, endsAt: null, clock: null, actsKey: null, asked: 0, shown: 0};

function hoursMinutes(seconds) {
  const minutes = Math.floor(Math.abs(seconds) / 60);
  return `${Math.floor(minutes / 60)} год ${String(minutes % 60).padStart(2, "0")} хв`;
}

function secondsLeft() {
  return protocol.endsAt === null ? null : Math.floor((protocol.endsAt - Date.now()) / 1000);
}

function protocolSummary(st) {
  if (st.published_at) {
    return `Протокол оприлюднено ${kyiv(st.published_at, true)}` +
      (st.late ? " із запізненням: понад 24 години після закриття засідання." : " вчасно.");
  }
  const left = secondsLeft();
  const overdue = st.overdue || (left !== null && left <= 0);
  let text;
  if (!st.protocol_sha256) text = "Протокол ще не завершено: його завершує секретар.";
  else if (!st.chair_signed) text = "Протокол завершено секретарем; очікує підпису головуючого.";
  else text = "Протокол підписано головуючим; очікує оприлюднення.";
  return overdue ? `${text} Строк 24 години минув!` : text;
}

function tickProtocolClock() {
  const st = protocol.status;
  if (!st) return;
  const node = document.getElementById("protocol-clock");
  const left = secondsLeft();
  let text = "", warn = false;
  if (st.published_at) text = "Відлік завершено: протокол оприлюднено.";
  else if (left === null) text = "";
  else if (left > 0) text = `Залишилося: ${hoursMinutes(left)}`;
  else { text = `Строк минув: прострочено на ${hoursMinutes(left)}`; warn = true; }
  if (node.textContent !== text) node.textContent = text;  // minute resolution: at most once a minute
  node.className = warn ? "big warn" : "big";
  const summary = protocolSummary(st);
  const said = document.getElementById("protocol-summary");
  if (said.textContent !== summary) said.textContent = summary;  // announced only when it changes
}

function signProtocol(st) {
  confirmInline("protocol-confirm", `Підписати протокол (SHA-256 ${st.protocol_sha256.slice(0, 16)}…)?`,
    "Так, підписати протокол", () => sendSignature(st));
}

async function sendSignature(st) {
  const body = {protocol_sha256: st.protocol_sha256};
  const file = document.getElementById("protocol-p7s").files[0];
  if (file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    body.p7s = btoa(binary);
  }
  if (await act("/protocol/signatures", body)) readProtocolStatus();
}

function protocolAct(question, yesLabel, path) {
  confirmInline("protocol-confirm", question, yesLabel, async () => {
    if (await act(path)) readProtocolStatus();
  });
}

function renderProtocolActs(st) {
  const acts = [];
  if (!st.published_at) {
    if (PROTOCOL_ROLE === "secretary" && !st.protocol_sha256) {
      acts.push(el("button", {id: "protocol-finalise", onclick: () => protocolAct(
        "Завершити протокол? Після цього його підписує головуючий.", "Так, завершити протокол", "/protocol/finalise")}, "Завершити протокол"));
    }
    if (PROTOCOL_ROLE === "chair" && st.protocol_sha256 && !st.chair_signed) {
      acts.push(el("p", {},
        el("label", {for: "protocol-p7s"}, "Файл кваліфікованого електронного підпису (.p7s), необов’язково: "),
        el("input", {id: "protocol-p7s", type: "file", accept: ".p7s,application/pkcs7-signature"})));
      acts.push(el("button", {id: "protocol-sign", onclick: () => signProtocol(st)}, "Підписати протокол"));
    }
    if (st.chair_signed) {
      acts.push(el("button", {id: "protocol-publish", onclick: () => protocolAct(
        "Оприлюднити протокол?", "Так, оприлюднити протокол", "/protocol/publish")}, "Оприлюднити протокол"));
    }
  }
  // rebuilt only when the available acts change, so a chosen .p7s file is not lost
  const key = acts.map(a => a.id || a.tagName).join(",") + "|" + st.protocol_sha256;
  if (key !== protocol.actsKey) { protocol.actsKey = key; fill("protocol-acts", ...acts); }
}

function renderProtocol(st) {
  const row = (term, value) => [el("dt", {}, term), el("dd", {}, value)];
  fill("protocol-deadline",
    `Засідання закрито ${kyiv(st.closed_at, true)}. Протокол підписують і оприлюднюють до `,
    el("strong", {}, kyiv(st.deadline, true)), " (24 години від закриття засідання).");
  fill("protocol-state",
    ...row("Завершено секретарем", st.finalised_at
      ? `так, ${st.finalised_by || ""} о ${kyiv(st.finalised_at, true)}` : "ні"),
    ...(st.protocol_sha256 ? row("SHA-256 протоколу", el("code", {}, st.protocol_sha256)) : []),
    ...row("Підпис головуючого", st.chair_signed ? "є" : "немає"),
    ...row("Оприлюднено", st.published_at
      ? `${kyiv(st.published_at, true)}${st.late ? " (із запізненням)" : " (вчасно)"}` : "ні"));
  fill("protocol-signatures", ...(st.signatures.length ? st.signatures.map(s => el("li", {},
    `${s.name} (${SIGNER_UK[s.role] || s.role}), ${kyiv(s.at, true)}` +
    (s.signature_sha256 ? `, з файлом КЕП (SHA-256 ${s.signature_sha256.slice(0, 16)}…)` : ""))) :
    [el("li", {}, "Підписів ще немає.")]));
  renderProtocolActs(st);
  tickProtocolClock();
}

async function readProtocolStatus() {
  const asked = ++protocol.asked;
  const r = await fetch(`/api/v1/sessions/${SID}/protocol/status`, {credentials: "same-origin"});
  if (!r.ok) return;
  const st = await r.json();
  if (asked < protocol.shown) return;  // an older answer that arrived late
  protocol.shown = asked;
  // the server's clock counts: remaining_seconds as of now, whatever this computer's clock says
  protocol.endsAt = st.remaining_seconds === null ? null : Date.now() + st.remaining_seconds * 1000;
  protocol.status = st;
  renderProtocol(st);
}

function protocolOnSnapshot(s) {
  const seq = lastSeq;
  const panel = document.getElementById("protocol-panel");
  panel.hidden = s.phase !== "closed";
  if (panel.hidden || seq === protocol.seq) return;
  protocol.seq = seq;  // the journal moved (closed, finalised, signed, published): read again
  readProtocolStatus();
  if (protocol.clock === null) protocol.clock = setInterval(tickProtocolClock, 10000);
}
