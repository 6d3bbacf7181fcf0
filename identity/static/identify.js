// The chair's identification list (R11): who is in the call, who is confirmed.
(function () {
  "use strict";
  var sessionId = document.getElementById("identify-page").dataset.sessionId;
  var ROLES = { chair: "головуючий", secretary: "секретар", deputy: "депутат", guest: "гість" };
  var me = null;
  function $(id) { return document.getElementById(id); }
  function show(text) { $("notice").textContent = text || ""; $("notice").hidden = !text; }

  function cell(row, text) { var td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; }

  // E6: an executive committee's list carries each member's personal phone; the chair or the
  // general department calls it back and confirms (identify-by-phone, journaled as such)
  var BY_PHONE = "Зателефонуйте на особистий номер члена виконкому зі списку й підтвердьте " +
    "особу після зворотного дзвінка. Голосувати можуть лише ідентифіковані члени виконкому.";

  function identify(pid, byPhone) {
    var how = byPhone ? "/identify-by-phone" : "/identify";
    fetch("/api/v1/sessions/" + sessionId + "/participants/" + pid + how, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": me.csrf_token }
    }).then(function (r) {
      if (r.status === 201) { show(""); return refresh(); }
      return r.json().then(function (p) { show(p.detail || ("HTTP " + r.status)); });
    });
  }

  function render(roll) {
    var body = $("roll");
    body.textContent = "";
    roll.participants.forEach(function (p) {
      var tr = document.createElement("tr");
      var byPhone = typeof p.phone === "string";
      cell(tr, byPhone ? p.name + " (" + p.phone + ")" : p.name); cell(tr, ROLES[p.role] || p.role);
      cell(tr, p.present ? "так" : "ні"); cell(tr, p.identified ? "так" : "ні");
      var td = cell(tr, "");
      if (p.present && !p.identified) {
        var b = document.createElement("button");
        b.type = "button"; b.textContent = byPhone ? "Підтвердити після дзвінка" : "Підтвердити особу";
        b.addEventListener("click", function () { identify(p.participant_id, byPhone); });
        td.appendChild(b);
      }
      body.appendChild(tr);
    });
    if (roll.participants.some(function (p) { return typeof p.phone === "string"; })) {
      $("how").textContent = BY_PHONE;
    }
    var unknown = $("unknown");
    unknown.textContent = "";
    roll.unknown_occupants.forEach(function (o) {
      var li = document.createElement("li"); li.textContent = o.name || o.occupant_id; unknown.appendChild(li);
    });
    $("unknown-section").hidden = roll.unknown_occupants.length === 0;
  }

  function refresh() {
    return fetch("/api/v1/sessions/" + sessionId + "/presence", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json().then(render) : show("Немає доступу (HTTP " + r.status + ")."); });
  }

  fetch("/api/v1/me", { credentials: "same-origin" }).then(function (r) {
    if (!r.ok) { show("Відкрийте ваше персональне посилання з листа, щоб увійти."); return; }
    return r.json().then(function (who) { me = who; refresh(); setInterval(refresh, 3000); });
  });
})();
