"use strict";
document.getElementById("remark").onclick = () => { const text = prompt("Зауваження:"); if (text) act("/remarks", {text}); };
document.getElementById("amend").onclick = () => { const text = prompt("Текст поправки:"); if (text) act("/amendments", {text}); };
connect((s) => {
  protocolOnSnapshot(s);
  const v = s.current_vote;
  if (!v || !v.called_participant_id) { fill("called", "—"); fill("answer-acts"); return; }
  const pid = v.called_participant_id;
  fill("called", nameOf(pid));
  const answer = (a) => act(`/votes/${v.vote_id}/ballots`, {participant_id: pid, answer: a});
  fill("answer-acts",
    el("button", {onclick: () => answer("for")}, "За"),
    el("button", {onclick: () => answer("against")}, "Проти"),
    el("button", {onclick: () => answer("abstain")}, "Утримався"));
});
