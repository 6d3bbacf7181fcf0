// The deputy's «буду» / «не зможу» on the personal-link page (P1: expected attendance).
// Separate from participant.js: it reads /api/v1/me for the CSRF token and its own endpoint.
(function () {
  "use strict";
  var root = document.getElementById("participant-page");
  var box = document.getElementById("rsvp");
  if (!root || !box) { return; }
  var sessionId = root.dataset.sessionId;
  var url = "/api/v1/sessions/" + sessionId + "/attendance/mine";
  var form = document.getElementById("rsvp-form");
  var reasonBox = document.getElementById("rsvp-reason-box");
  var reason = document.getElementById("rsvp-reason");
  var status = document.getElementById("rsvp-status");
  var csrf = "";
  var WORDS = { attend: "буду", absent: "не зможу" };

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "status bad" : "status";
    status.hidden = false;
  }
  function chosen() {
    var picked = form.querySelector("input[name=answer]:checked");
    return picked ? picked.value : null;
  }
  function show(answer) {
    reasonBox.hidden = answer !== "absent";
  }
  function json(r) {
    return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
  }

  form.addEventListener("change", function () { show(chosen()); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var answer = chosen();
    if (!answer) { say("Оберіть «Буду» або «Не зможу».", true); return; }
    fetch(url, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ answer: answer, reason: answer === "absent" ? reason.value : "" })
    }).then(json).then(function (r) {
      if (r.ok) { say("Вашу відповідь «" + WORDS[answer] + "» отримано. Дякуємо!", false); }
      else { say(r.body.message_uk || "Відповідь не прийнято: спробуйте ще раз.", true); }
    }).catch(function () { say("Немає зв’язку з сервером: спробуйте ще раз.", true); });
  });

  fetch("/api/v1/me", { credentials: "same-origin" }).then(json).then(function (me) {
    if (!me.ok) { return null; }
    csrf = me.body.csrf_token;
    return fetch(url, { credentials: "same-origin" }).then(json);
  }).then(function (mine) {
    if (!mine || !mine.ok || !mine.body.open) { return; }  // a guest, or the sitting has begun
    box.hidden = false;
    if (mine.body.answer) {
      var input = form.querySelector("input[value=" + mine.body.answer + "]");
      if (input) { input.checked = true; }
      reason.value = mine.body.reason || "";
      show(mine.body.answer);
      say("Ваша відповідь: «" + WORDS[mine.body.answer] + "». Її можна змінити до початку засідання.", false);
    }
  }).catch(function () { /* the page works without the panel */ });
})();
