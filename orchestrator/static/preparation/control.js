// Control of execution (S5): «Зняти з контролю» with its reason, through the API (journaled
// decision_off_control); then the page is read again.
(function () {
  "use strict";
  var notice = document.getElementById("control-notice");
  var csrf = "";

  function say(text, bad) {
    notice.textContent = text;
    notice.className = bad ? "status bad" : "status";
    notice.hidden = false;
  }

  fetch("/api/v1/me", { credentials: "same-origin" }).then(function (r) {
    return r.ok ? r.json() : {};
  }).then(function (me) { csrf = me.csrf_token || ""; }).catch(function () {});

  Array.prototype.forEach.call(document.querySelectorAll("form.off-control"), function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var reason = form.elements.reason.value.trim();
      if (!reason) { say("Вкажіть підставу зняття з контролю.", true); return; }
      var button = form.querySelector("button");
      button.disabled = true;
      fetch("/api/v1/decisions/" + form.dataset.decision + "/control/off", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ reason: reason })
      }).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.message_uk || "Рішення не знято з контролю."); }
          location.reload();
        });
      }).catch(function (err) {
        button.disabled = false;
        say(err.message, true);
      });
    });
  });
})();
