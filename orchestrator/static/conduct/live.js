"use strict";
// The live state (contract: /api/v1/sessions/{id}/ws sends {"type":"snapshot","seq","state"}
// first, then {"type":"patch","seq","base","ops"}; static/livestate.js reads them).
const ROOT = document.getElementById("conduct");
const SID = ROOT.dataset.session;
const PHASE_UK = {convened: "скликано", announced: "оголошено", opened: "відкрито",
  competent: "правомочна", item: "розгляд питання", voting: "поіменне голосування",
  "break": "перерва", closed: "закрито", cancelled: "скасовано"};
const ANSWER_UK = {"for": "за", against: "проти", abstain: "утримався", none: "не голосував"};
const CAUSE_UK = {chair: "оголошена головуючим", recording_lost: "втрачено запис",
  quorum_lost: "втрачено кворум", storage: "збій сховища"};
const ROLE_UK = {chair: "головуючий", secretary: "секретар", deputy: "депутат", guest: "гість"};
let live = null, lastSeq = -1, discussionTimer = null;

function el(tag, attrs, ...kids) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const kid of kids) node.append(kid instanceof Node ? kid : document.createTextNode(kid));
  return node;
}
function nameOf(pid) {
  const p = live && live.participants.find(x => x.participant_id === pid);
  return p ? p.name : pid;
}
function fill(id, ...kids) { const n = document.getElementById(id); if (n) n.replaceChildren(...kids); }

// Times as a Ukrainian reader sees them: Kyiv local time, like the protocol (20.11.2026 10:00:00).
const KYIV_PARTS = new Intl.DateTimeFormat("uk-UA", {timeZone: "Europe/Kyiv", hourCycle: "h23",
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"});
function kyiv(iso, withDate) {
  if (!iso) return "—";
  const part = {};
  for (const p of KYIV_PARTS.formatToParts(new Date(iso))) part[p.type] = p.value;
  const time = `${part.hour}:${part.minute}:${part.second}`;
  return withDate ? `${part.day}.${part.month}.${part.year} ${time}` : time;
}

// The recorder's words, shared by every console (the chair's adds the recorder's own figures).
function recordingWords(status, since) {
  if (status === "receiving") return "Запис: триває";
  if (status === "lost") return since ? `Запис втрачено о ${kyiv(since)}` : "Запис втрачено";
  if (status === "waiting") return "Запис: очікує сигнал";
  if (status === "finished") return "Запис завершено";
  return "Запис: не ведеться";
}

let csrf = null;
async function post(url, body) {
  // identity's sign-in: state changes carry the sign-in's CSRF token (GET /api/v1/me)
  if (csrf === null) {
    const me = await fetch("/api/v1/me", {credentials: "same-origin"});
    csrf = me.ok ? (await me.json()).csrf_token : "";
  }
  return fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify(body || {}),
  });
}

// Refusals: the server sends a Ukrainian message with every problem (message_uk, by its stable
// code); a page may still word a code its own way in PROBLEM_UK. A refusal stays until the next
// snapshot shows the state that explains it.
const PROBLEM_UK = {};
let problemSeq = null;

function problemWords(problem, fallback) {
  if (problem && PROBLEM_UK[problem.code]) return PROBLEM_UK[problem.code];
  if (problem && problem.message_uk) return problem.message_uk;
  return fallback || "Запит не виконано. Оновіть сторінку й спробуйте ще раз.";
}

function showProblem(text) {
  fill("problem", text ? `Відмовлено: ${text}` : "");
  problemSeq = text ? lastSeq : null;
}

// 503 (the database restarts): the act was not taken; it is sent again after Retry-After,
// for up to RETRY_FOR_MS. A repeat that did land after all is refused by the session's state
// (one answer per deputy per vote), never taken twice.
const RETRY_FOR_MS = 60000;

async function act(path, body) {
  showProblem("");
  const giveUp = Date.now() + RETRY_FOR_MS;
  let r;
  try { r = await post(`/api/v1/sessions/${SID}${path}`, body); }
  catch (e) { showProblem("немає зв’язку із сервером. Спробуйте ще раз."); return null; }
  while (r.status === 503 && Date.now() < giveUp) {
    fill("problem", "Зв’язок із сервером відновлюється…");
    const wait = Math.min(10, Math.max(1, Number(r.headers.get("Retry-After")) || 2));
    await new Promise((done) => setTimeout(done, wait * 1000));
    try { r = await post(`/api/v1/sessions/${SID}${path}`, body); } catch (e) { /* offline: try again */ }
  }
  if (r.ok) showProblem("");
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch (e) { /* not JSON */ }
    showProblem(problemWords(problem));
    return null;
  }
  return r.json();
}

// An inline form in place of the browser's prompt()/confirm(): `fields` are
// [{name, label, type, value, min, max, required}], `onSubmit(values)` does the act.
let formSerial = 0;
function inlineForm(hostId, title, submitLabel, fields, onSubmit) {
  const host = document.getElementById(hostId);
  if (!host) return;
  const id = `form-${++formSerial}`;
  const inputs = fields.map(f => {
    const attrs = {id: `${id}-${f.name}`, name: f.name, type: f.type || "text"};
    if (f.value !== undefined) attrs.value = String(f.value);
    if (f.min !== undefined) attrs.min = String(f.min);
    if (f.max !== undefined) attrs.max = String(f.max);
    if (f.required !== false) attrs.required = "required";
    const input = f.type === "textarea" ? el("textarea", {id: attrs.id, name: f.name, rows: "3", required: "required"}, f.value || "")
      : el("input", attrs);
    return el("p", {}, el("label", {for: attrs.id}, f.label), " ", input);
  });
  const cancel = el("button", {type: "button", class: "secondary", onclick: () => host.replaceChildren()}, "Скасувати");
  const form = el("form", {class: "inline-form", "aria-label": title},
    el("p", {class: "form-title"}, title), ...inputs,
    el("p", {}, el("button", {type: "submit"}, submitLabel), " ", cancel));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = {};
    for (const f of fields) values[f.name] = form.elements[f.name].value.trim();
    const done = await onSubmit(values);
    if (done !== false) host.replaceChildren();
  });
  host.replaceChildren(form);
  const first = form.querySelector("input, textarea, button");
  if (first) first.focus();
}

// A two-step confirmation in place of confirm(): the question, «yes» and «Скасувати».
function confirmInline(hostId, question, yesLabel, onYes) {
  const host = document.getElementById(hostId);
  if (!host) return;
  const yes = el("button", {type: "button", onclick: async () => { host.replaceChildren(); await onYes(); }}, yesLabel);
  host.replaceChildren(el("div", {class: "inline-form", role: "group", "aria-label": question},
    el("p", {class: "form-title"}, question), yes, " ",
    el("button", {type: "button", class: "secondary", onclick: () => host.replaceChildren()}, "Скасувати")));
  yes.focus();
}

// The outcome of a closed vote, ready to read aloud.
function voteName(r) {
  return r.amendment === null ? `проєкт рішення з питання ${r.item + 1}` : `поправку ${r.amendment + 1} до питання ${r.item + 1}`;
}
function resultWords(r) {
  const head = r.amendment === null
    ? (r.adopted ? "Рішення прийнято" : "Рішення не прийнято")
    : (r.adopted ? `Поправку ${r.amendment + 1} прийнято` : `Поправку ${r.amendment + 1} не прийнято`);
  return `${head}: за ${r["for"]}, проти ${r.against}, утрималися ${r.abstain}, ` +
    `не голосували ${r.not_voted}, відсутні ${r.absent}`;
}
function lastResult(s) {
  const results = s.results || [];
  return results.length ? results[results.length - 1] : null;
}
// The named result: each voter's answer in call order, then the absent.
function namedResult(r) {
  const rows = Object.entries(r.answers || {}).map(([pid, a]) =>
    el("tr", {}, el("td", {}, nameOf(pid)), el("td", {}, ANSWER_UK[a] || a)));
  for (const pid of r.absent_participant_ids || []) {
    rows.push(el("tr", {}, el("td", {}, nameOf(pid)), el("td", {}, "відсутній")));
  }
  return el("div", {class: "table-scroll", tabindex: "0", role: "region", "aria-label": `Поіменні результати: ${voteName(r)}`},
    el("table", {class: "named"}, el("caption", {}, `Поіменно: ${voteName(r)}`),
      el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Депутат"), el("th", {scope: "col"}, "Відповідь"))),
      el("tbody", {}, ...rows)));
}
function renderResults(s) {
  const node = document.getElementById("results");
  if (!node) return;
  const results = s.results || [];
  if (!results.length) { fill("results", el("p", {class: "muted"}, "Голосувань ще не було.")); return; }
  fill("results", ...results.slice().reverse().map((r, i) => el("details", i === 0 ? {open: "open"} : {},
    el("summary", {class: r.adopted ? "ok" : "warn"}, `${voteName(r)[0].toUpperCase()}${voteName(r).slice(1)}: ${resultWords(r)}`),
    namedResult(r))));
}
function renderLastResult(s) {
  const r = lastResult(s);
  const node = document.getElementById("last-result");
  if (!node) return;
  if (!r || s.current_vote) { node.hidden = true; node.replaceChildren(); return; }
  node.hidden = false;
  fill("last-result", el("p", {class: "muted"}, `Останнє голосування: ${voteName(r)} (потрібно «за»: ${r.required})`),
    el("p", {class: `big ${r.adopted ? "ok" : "warn"}`}, `${resultWords(r)}.`));
}

const LIVE_PHASES = new Set(["opened", "competent", "item", "voting", "break"]);
function renderCommon(s) {
  fill("link", LIVE_PHASES.has(s.phase) ? "наживо" : (s.phase === "closed" || s.phase === "cancelled" ? "" : "очікує початку"));
  const phase = document.getElementById("phase");
  phase.textContent = PHASE_UK[s.phase] || s.phase;
  phase.className = "phase " + s.phase;
  const q = s.quorum;
  fill("quorum", el("span", {class: q.holds ? "ok" : "warn"},
    `Кворум: ${q.present_deputies} з ${q.total_composition} (потрібно ${q.required}) — ` +
    (q.holds ? "є" : "НЕМАЄ")));
  fill("break", s["break"] ? el("span", {class: "warn"},
    `Перерва з ${kyiv(s["break"].since)}: ${CAUSE_UK[s["break"].cause] || s["break"].cause}. ` +
    (s["break"].reason || "")) : "");
  fill("recording", el("span", {class: s.recording.status === "lost" ? "warn" : ""},
    `${recordingWords(s.recording.status, s.recording.since)}; частин: ${s.recording.parts}`));
  fill("agenda", ...s.agenda.map(i => el("li", {class: i.index === s.current_item ? "called" : ""},
    `${i.title} (${i.category_uk}) — ` +
    ({pending: "очікує", open: "розглядається", voting: "голосування", closed: "розглянуто"}[i.status]))));
  renderDiscussion(s);
  renderVote(s);
  renderResults(s);
  renderLastResult(s);
}

function renderDiscussion(s) {
  clearInterval(discussionTimer);
  const d = s.discussion;
  if (!d) { fill("discussion", ""); return; }
  const end = Date.parse(d.started_at) + d.seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    fill("discussion", el("span", {class: left ? "big" : "big warn"},
      `${d.scope === "speaker" ? "Виступ" : "Обговорення"}: ${Math.floor(left / 60)}:` +
      String(left % 60).padStart(2, "0")));
  };
  tick();
  discussionTimer = setInterval(tick, 1000);
}

function renderVote(s) {
  const v = s.current_vote;
  if (!v) { fill("vote", "Голосування не відбувається."); return; }
  const t = v.tally;
  const rows = v.order.map((pid, i) => el("tr", {class: pid === v.called_participant_id ? "called" : ""},
    el("td", {}, String(i + 1)), el("td", {}, nameOf(pid)),
    el("td", {}, v.answers[pid] ? ANSWER_UK[v.answers[pid]] : (pid === v.called_participant_id ? "викликано" : ""))));
  fill("vote",
    el("p", {}, `Голосування ${v.amendment === null ? "за проєкт у цілому" : "за поправку " + (v.amendment + 1)}` +
      ` (питання ${v.item + 1}); потрібно «за»: ${v.required}`),
    el("p", {class: "big"}, v.called_participant_id ? `Викликано: ${nameOf(v.called_participant_id)}` : "Ніхто не викликаний"),
    el("p", {}, `За: ${t["for"]}, проти: ${t.against}, утрималися: ${t.abstain}, ` +
      `не голосували: ${t.not_voted}, відсутні: ${t.absent}`),
    el("table", {}, el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "№"), el("th", {scope: "col"}, "Депутат"),
      el("th", {scope: "col"}, "Відповідь"))), el("tbody", {}, ...rows)));
}

function connect(render) {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/api/v1/sessions/${SID}/ws`);
  ws.onopen = () => fill("link", "з’єднано");
  ws.onmessage = radaLiveFrames(ws, (state, seq) => {  // static/livestate.js
    live = state; lastSeq = seq;
    if (problemSeq !== null && problemSeq < lastSeq) showProblem("");  // the state moved on
    renderCommon(live); render(live);
  });
  ws.onclose = () => { fill("link", "перепідключення…"); setTimeout(() => connect(render), 1000); };
}
