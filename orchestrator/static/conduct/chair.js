"use strict";
// The chair's console: the call beside a fixed panel with the current act. Only the acts the
// session's phase allows are offered (the same rules the server applies); questions are asked
// in inline forms, never in the browser's dialogs.
const $ = (id) => document.getElementById(id);
const show = (id, on) => { const n = $(id); if (n) n.hidden = !on; };

$("open").addEventListener("click", () => act("/open"));
$("competent").addEventListener("click", () => act("/competent"));
$("resume").addEventListener("click", () => act("/breaks/end"));
$("pause").addEventListener("click", () => inlineForm("act-form", "Оголосити перерву", "Оголосити перерву",
  [{name: "reason", label: "Причина перерви:", value: "технічні проблеми"}],
  async (v) => (await act("/breaks", {cause: "chair", reason: v.reason})) !== null));
$("close").addEventListener("click", () => confirmInline("act-form",
  "Закрити засідання? Після закриття жодне питання вже не розглядатиметься.", "Так, закрити засідання",
  () => act("/close")));

async function identify(pid) {
  // The identity package owns identification (R11); its endpoint journals participant_identified.
  showProblem("");
  const r = await post(`/api/v1/sessions/${SID}/participants/${pid}/identify`, {});
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch (e) { /* not JSON */ }
    showProblem(problemWords(problem));
  }
}

// What the phase allows (orchestrator/conduct/decide.py says the same on the server).
function showSessionActs(phase) {
  show("open", phase === "announced");
  show("competent", phase === "opened");
  show("pause", ["opened", "competent", "item", "voting"].includes(phase));
  show("resume", phase === "break");
  show("close", ["opened", "competent", "item", "break"].includes(phase));
  if (!["opened", "competent", "item", "voting", "break"].includes(phase)) fill("act-form");
}

function initials(p) {
  const [surname, ...rest] = p.name.split(" ");
  return {surname, rest: rest.map(x => `${x[0]}.`).join(" ")};
}

function renderPeople(s) {
  fill("people", ...s.participants.map(p => {
    const state = p.identified ? "present" : (p.present ? "waiting" : "away");
    const {surname, rest} = initials(p);
    const words = p.identified ? "особу підтверджено" : (p.present ? "у конференції, не підтверджено" : "немає в конференції");
    const kids = [el("span", {class: "who"}, el("strong", {}, surname), ` ${rest}`),
      el("span", {class: "visually-hidden"}, `, ${ROLE_UK[p.role] || p.role}, ${words}`)];
    if (p.role === "chair" || p.role === "secretary") kids.push(el("span", {class: "role-mark", "aria-hidden": "true"}, p.role === "chair" ? "гол." : "секр."));
    if (p.present && !p.identified) {
      kids.push(el("button", {type: "button", class: "identify", "aria-label": `Підтвердити особу: ${p.name}`,
        onclick: () => identify(p.participant_id)}, "Підтвердити"));
    } else {
      kids.push(el("span", {class: "mark", "aria-hidden": "true"}, p.identified ? "✓" : (p.present ? "?" : "—")));
    }
    return el("li", {class: `tile ${state}`, title: p.name}, ...kids);
  }));
}

// Occupants of the call who match nobody on the list: shown as alerts, never counted.
const presence = {last: 0, busy: false};
async function readPresence() {
  if (presence.busy || Date.now() - presence.last < 2000) return;
  presence.busy = true;
  presence.last = Date.now();
  try {
    const r = await fetch(`/api/v1/sessions/${SID}/presence`, {credentials: "same-origin"});
    if (r.ok) {
      const roll = await r.json();
      fill("unknown", ...roll.unknown_occupants.map(o => el("p", {class: "status bad"},
        `У відеоконференції невідомий учасник: «${o.name || o.occupant_id}». Його немає у списку учасників; він не враховується.`)));
    }
  } catch (e) { /* offline: the link indicator says so */ }
  presence.busy = false;
}
setInterval(() => { if (live && LIVE_PHASES.has(live.phase)) readPresence(); }, 5000);

function votedIds(s) {
  return new Set((s.results || []).map(r => r.vote_id));
}

function renderCalled(s) {
  const v = s.current_vote;
  if (!v) {
    const item = s.current_item === null ? null : s.agenda[s.current_item];
    fill("called-box", item ? el("p", {class: "item-now"}, `Питання ${item.index + 1}: ${item.title}`) : "");
    fill("vote-acts");
    return;
  }
  const answered = Object.keys(v.answers).length;
  const what = v.amendment === null ? `проєкт рішення з питання ${v.item + 1}` : `поправку ${v.amendment + 1} до питання ${v.item + 1}`;
  const t = v.tally;
  const together = v.mode === "simultaneous";  // E7: everyone answers at once, nobody is called
  fill("called-box",
    el("p", {class: "muted"}, `${together ? "Голосування (усі відповідають одночасно)" : "Поіменне голосування"} за ${what}; потрібно «за»: ${v.required}`),
    together
      ? el("p", {id: "called", class: "called-now"}, answered === v.order.length ? "Усі відповіли: завершіть голосування." : `Чекаємо відповідей: ${v.order.length - answered}.`)
      : v.called_participant_id
      ? el("p", {id: "called", class: "called-now"}, el("span", {class: "label"}, `Викликано (${v.position + 1} з ${v.order.length}):`), " ",
        el("strong", {}, nameOf(v.called_participant_id)))
      : el("p", {id: "called", class: "called-now"}, answered === v.order.length ? "Усі відповіли: завершіть голосування." : "Нікого не викликано."),
    el("p", {class: "tally"}, `За: ${t["for"]} · проти: ${t.against} · утрималися: ${t.abstain} · ` +
      `не голосували: ${t.not_voted} · відсутні: ${t.absent} · відповіли ${answered} з ${v.order.length}`));
  const acts = [];
  if (s.phase === "voting" && together) {
    // E7: the general department (or the chair) closes when it establishes the result
    acts.push(el("button", {type: "button", onclick: () => act(`/votes/${v.vote_id}/close`)}, "Завершити голосування"));
  } else if (s.phase === "voting") {
    if (v.called_participant_id) {
      acts.push(el("button", {type: "button", class: "secondary", onclick: () => act(`/votes/${v.vote_id}/skip`)}, "Не голосував (далі)"));
    } else if (answered < v.order.length) {
      acts.push(el("button", {type: "button", onclick: () => act(`/votes/${v.vote_id}/call-next`)}, "Викликати наступного"));
    }
    if (answered === v.order.length) {
      acts.push(el("button", {type: "button", onclick: () => act(`/votes/${v.vote_id}/close`)}, "Завершити голосування"));
    }
  }
  fill("vote-acts", ...acts);
}

function renderItemActs(s) {
  const acts = [];
  const item = s.current_item === null ? null : s.agenda[s.current_item];
  const next = s.agenda.find(i => i.status === "pending");
  if (!item && next && ["opened", "competent"].includes(s.phase)) {
    acts.push(el("button", {type: "button", onclick: () => act(`/items/${next.index}/open`)}, `Відкрити питання ${next.index + 1}`));
  }
  if (item && s.phase === "item") {
    const done = votedIds(s);
    const pending = item.amendments.filter(a => !done.has(`${item.index}.a${a.amendment}`));
    pending.forEach(a => acts.push(el("button", {type: "button", onclick: () => act("/votes", {amendment: a.amendment})},
      `Голосувати поправку ${a.amendment + 1}`)));
    if (!done.has(String(item.index)) && !pending.length) {
      acts.push(el("button", {type: "button", onclick: () => act("/votes", {amendment: null})}, "Голосувати проєкт у цілому"));
    }
    if (done.has(String(item.index))) {
      acts.push(el("button", {type: "button", onclick: () => act(`/items/${item.index}/close`)}, "Закрити питання"));
    } else {
      acts.push(el("button", {type: "button", class: "secondary", onclick: () => inlineForm("act-form", "Записати поправку", "Записати поправку",
        [{name: "text", label: "Текст поправки:", type: "textarea"}], async (f) => (await act("/amendments", {text: f.text})) !== null)}, "Записати поправку"));
    }
    acts.push(el("button", {type: "button", class: "secondary", onclick: () => inlineForm("act-form", "Обмежити час обговорення", "Встановити",
      [{name: "minutes", label: "Хвилин на обговорення питання:", type: "number", value: 5, min: 1, max: 120}],
      async (f) => (await act("/discussion", {scope: "item", seconds: Math.round(Number(f.minutes) * 60)})) !== null)}, "Регламент на питання"));
    acts.push(el("button", {type: "button", class: "secondary", onclick: () => inlineForm("act-form", "Обмежити час виступу", "Встановити",
      [{name: "minutes", label: "Хвилин на виступ:", type: "number", value: 3, min: 1, max: 60}],
      async (f) => (await act("/discussion", {scope: "speaker", seconds: Math.round(Number(f.minutes) * 60)})) !== null)}, "Регламент виступу"));
  }
  fill("item-acts", ...acts);
}

connect((s) => {
  callOnSnapshot(s, true);
  showSessionActs(s.phase);
  recorderOnSnapshot(s);
  protocolOnSnapshot(s);
  renderPeople(s);
  renderCalled(s);
  renderItemActs(s);
  if (LIVE_PHASES.has(s.phase)) readPresence(); else fill("unknown");
});
