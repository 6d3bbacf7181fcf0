"use strict";
document.getElementById("open").onclick = () => act("/open");
document.getElementById("competent").onclick = () => act("/competent");
document.getElementById("close").onclick = () => confirm("Закрити засідання?") && act("/close");
document.getElementById("pause").onclick = () => {
  const reason = prompt("Причина перерви:", "технічні проблеми");
  if (reason !== null) act("/breaks", {cause: "chair", reason});
};
document.getElementById("resume").onclick = () => act("/breaks/end");

async function identify(pid) {
  // The identity package owns identification (R11); its endpoint journals participant_identified.
  const r = await post(`/api/v1/sessions/${SID}/participants/${pid}/identify`, {});
  if (!r.ok) { try { fill("problem", `Відмовлено: ${(await r.json()).detail}`); } catch (e) { fill("problem", r.statusText); } }
}

// Only the acts the session's phase allows are offered (the server refuses the rest anyway).
function showSessionActs(phase) {
  const before = ["convened", "announced"].includes(phase);
  const over = ["closed", "cancelled"].includes(phase);
  const show = (id, on) => { document.getElementById(id).hidden = !on; };
  show("open", before);
  show("competent", phase === "opened");
  show("pause", !before && !over && phase !== "break");
  show("resume", phase === "break");
  show("close", !before && !over);
}

connect((s) => {
  showSessionActs(s.phase);
  recorderOnSnapshot(s);
  protocolOnSnapshot(s);
  fill("people", el("tr", {}, el("th", {}, "Учасник"), el("th", {}, "Роль"), el("th", {}, "У зв’язку"), el("th", {}, "Особу підтверджено")),
    ...s.participants.map(p => el("tr", {},
      el("td", {}, p.name), el("td", {}, ROLE_UK[p.role] || p.role),
      el("td", {}, p.present ? "так" : "ні"),
      el("td", {}, p.identified ? "так" : (p.present ? el("button", {onclick: () => identify(p.participant_id)}, "Підтвердити") : "—")))));
  const next = s.agenda.find(i => i.status === "pending");
  const item = s.current_item === null ? null : s.agenda[s.current_item];
  const acts = [];
  if (!item && next) acts.push(el("button", {onclick: () => act(`/items/${next.index}/open`)}, `Відкрити питання ${next.index + 1}`));
  if (item && !s.current_vote) {
    acts.push(el("button", {onclick: () => { const sec = parseInt(prompt("Регламент, секунд:", "300"), 10); if (sec) act("/discussion", {scope: "item", seconds: sec}); }}, "Регламент на питання"));
    acts.push(el("button", {onclick: () => { const sec = parseInt(prompt("Регламент виступу, секунд:", "180"), 10); if (sec) act("/discussion", {scope: "speaker", seconds: sec}); }}, "Регламент виступу"));
    acts.push(el("button", {onclick: () => { const text = prompt("Текст поправки:"); if (text) act("/amendments", {text}); }}, "Записати поправку"));
    item.amendments.forEach(a => acts.push(el("button", {onclick: () => act("/votes", {amendment: a.amendment})}, `Голосувати поправку ${a.amendment + 1}`)));
    acts.push(el("button", {onclick: () => act("/votes", {amendment: null})}, "Голосувати проєкт у цілому"));
    acts.push(el("button", {onclick: () => act(`/items/${item.index}/close`)}, "Закрити питання"));
  }
  fill("item-acts", ...acts);
  const v = s.current_vote;
  fill("vote-acts", ...(v ? [
    el("button", {onclick: () => act(`/votes/${v.vote_id}/skip`)}, "Не голосував (далі)"),
    el("button", {onclick: () => act(`/votes/${v.vote_id}/call-next`)}, "Викликати наступного"),
    el("button", {onclick: () => act(`/votes/${v.vote_id}/close`)}, "Завершити голосування"),
  ] : []));
});
