// The presiding script (P1) on the chair's console, one step at a time. Apart from the
// console's live scripts: it reads /api/v1/sessions/{id}/script once and keeps its own place.
(function () {
  "use strict";
  var root = document.getElementById("conduct");
  var panel = document.getElementById("script-panel");
  if (!root || !panel) { return; }
  var steps = [];
  var at = 0;
  var KEY = "rada-script-step-" + root.dataset.session;

  function show() {
    if (!steps.length) { return; }
    var s = steps[at];
    document.getElementById("script-heading").textContent = s.no + ". " + s.heading;
    document.getElementById("script-words").textContent = s.words;
    document.getElementById("script-note").textContent = s.note;
    document.getElementById("script-position").textContent = "крок " + (at + 1) + " з " + steps.length;
    document.getElementById("script-prev").disabled = at === 0;
    document.getElementById("script-next").disabled = at === steps.length - 1;
    try { sessionStorage.setItem(KEY, String(at)); } catch (e) { /* private mode */ }
  }
  document.getElementById("script-prev").addEventListener("click", function () { at = Math.max(0, at - 1); show(); });
  document.getElementById("script-next").addEventListener("click", function () { at = Math.min(steps.length - 1, at + 1); show(); });

  fetch("/api/v1/sessions/" + root.dataset.session + "/script", { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (body) {
      if (!body) { panel.hidden = true; return; }
      steps = body.steps;
      var saved = 0;
      try { saved = parseInt(sessionStorage.getItem(KEY) || "0", 10) || 0; } catch (e) { saved = 0; }
      at = Math.min(Math.max(saved, 0), steps.length - 1);
      show();
    }).catch(function () { panel.hidden = true; });
})();
