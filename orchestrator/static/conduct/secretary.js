"use strict";
// The secretary's console (R17): the called deputy and the spoken answer, remarks and
// amendments for the protocol, the running tally and the named results.
function renderPeople(s) {
  fill("people", ...s.participants.map(p => {
    const state = p.identified ? "present" : (p.present ? "waiting" : "away");
    const words = p.identified ? "особу підтверджено" : (p.present ? "у конференції, не підтверджено" : "немає в конференції");
    return el("li", {class: `tile ${state}`, title: p.name}, el("span", {class: "who"}, p.name),
      el("span", {class: "visually-hidden"}, `, ${words}`),
      el("span", {class: "mark", "aria-hidden": "true"}, p.identified ? "✓" : (p.present ? "?" : "—")));
  }));
}

function renderItemActs(s) {
  if (s.phase !== "item") { fill("item-acts"); if (s.phase !== "voting") fill("act-form"); return; }
  fill("item-acts",
    el("button", {type: "button", class: "secondary", onclick: () => inlineForm("act-form", "Записати зауваження", "Записати",
      [{name: "text", label: "Зауваження:", type: "textarea"}], async (f) => (await act("/remarks", {text: f.text})) !== null)}, "Записати зауваження"),
    el("button", {type: "button", class: "secondary", onclick: () => inlineForm("act-form", "Записати поправку", "Записати",
      [{name: "text", label: "Текст поправки:", type: "textarea"}], async (f) => (await act("/amendments", {text: f.text})) !== null)}, "Записати поправку"));
}

// E6, E7: in an executive committee's vote everyone answers at once; the general department
// enters the answer a member gives by phone and closes the vote when it establishes the result.
function renderPhoneAnswers(v) {
  const waiting = v.order.filter(pid => !v.answers[pid]);
  fill("called", el("span", {class: "label"}, `Не відповіли (${waiting.length} з ${v.order.length}); відповідь, дану телефоном:`));
  const row = (pid) => {
    const answer = (a) => act(`/votes/${v.vote_id}/ballots`, {participant_id: pid, answer: a});
    return el("li", {}, el("strong", {}, nameOf(pid)), " ",
      el("button", {type: "button", class: "for", onclick: () => answer("for")}, "За"),
      el("button", {type: "button", class: "against", onclick: () => answer("against")}, "Проти"),
      el("button", {type: "button", class: "abstain", onclick: () => answer("abstain")}, "Утримався"));
  };
  fill("answer-acts", el("ul", {class: "phone-answers"}, ...waiting.map(row)),
    el("button", {type: "button", onclick: () => act(`/votes/${v.vote_id}/close`)}, "Завершити голосування"));
}

connect((s) => {
  callOnSnapshot(s, false);
  protocolOnSnapshot(s);
  renderPeople(s);
  renderItemActs(s);
  const v = s.current_vote;
  if (v) {
    const t = v.tally;
    fill("tally", `За: ${t["for"]} · проти: ${t.against} · утрималися: ${t.abstain} · не голосували: ${t.not_voted} · відсутні: ${t.absent}`);
  } else fill("tally");
  if (v && v.mode === "simultaneous" && s.phase === "voting") { renderPhoneAnswers(v); return; }
  if (!v || !v.called_participant_id || s.phase !== "voting") { fill("called", "—"); fill("answer-acts"); return; }
  const pid = v.called_participant_id;
  fill("called", el("span", {class: "label"}, `Викликано (${v.position + 1} з ${v.order.length}):`), " ", el("strong", {}, nameOf(pid)));
  const answer = (a) => act(`/votes/${v.vote_id}/ballots`, {participant_id: pid, answer: a});
  fill("answer-acts",
    el("button", {type: "button", class: "for", onclick: () => answer("for")}, "За"),
    el("button", {type: "button", class: "against", onclick: () => answer("against")}, "Проти"),
    el("button", {type: "button", class: "abstain", onclick: () => answer("abstain")}, "Утримався"));
});
