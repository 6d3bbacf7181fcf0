// The participant's page: the Jitsi call through the IFrame API, the session's live state,
// and the three answers when this deputy is called (R15, R16).
(function () {
  "use strict";
  var sessionId = document.getElementById("participant-page").dataset.sessionId;
  var PHASES = {
    announced: "Оголошено", opened: "Засідання відкрито", competent: "Засідання правомочне",
    item: "Розгляд питання", voting: "Голосування", "break": "Перерва",
    closed: "Засідання закрито", cancelled: "Засідання скасовано"
  };
  // The answers' names come from the buttons, which the server prints from one table (tally.py).
  var ANSWERS = {};
  document.querySelectorAll("button[data-answer]").forEach(function (b) {
    ANSWERS[b.dataset.answer] = b.textContent.trim().toLowerCase();
  });
  var me = null;
  var state = null;

  function $(id) { return document.getElementById(id); }
  function show(text) { $("notice").textContent = text || ""; $("notice").hidden = !text; }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.ok) { return r.json(); }
        var err = new Error("HTTP " + r.status); err.status = r.status; throw err;
      });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src; s.onload = resolve;
      s.onerror = function () { reject(new Error("script")); };
      document.head.appendChild(s);
    });
  }

  function openConference() {
    return getJson("/api/v1/sessions/" + sessionId + "/jitsi-token").then(function (t) {
      return loadScript("https://" + t.domain + "/external_api.js").then(function () {
        var api = new window.JitsiMeetExternalAPI(t.domain, {
          roomName: t.room, jwt: t.jwt, parentNode: $("conference"), lang: "uk",
          width: "100%", height: "100%", userInfo: { displayName: t.display_name }
        });
        api.addListener("videoConferenceJoined", function () { show(""); });
        api.addListener("videoConferenceLeft", function () { show("Ви вийшли з відеоконференції."); });
        api.addListener("errorOccurred", function () {
          show("Помилка відеоконференції. Оновіть сторінку.");
        });
        keepTokenFresh(api, t);
      });
    });
  }

  // Jitsi tokens live minutes, so that a revoked link reaches the call: fetch a fresh one a
  // minute before expiry; after a fatal conference error reconnect (openConference fetches the
  // freshest token); when rada refuses the refresh (revoked, removed, ended), leave the call.
  var reconnects = 0;
  function keepTokenFresh(api, t) {
    var timer = null;
    function schedule(expiresAt) {
      timer = setTimeout(refresh, Math.max(10, expiresAt - Date.now() / 1000 - 60) * 1000);
    }
    function refresh() {
      getJson("/api/v1/sessions/" + sessionId + "/jitsi-token").then(function (fresh) {
        schedule(fresh.expires_at);
      }).catch(function (e) {
        if (e.status >= 400 && e.status < 500) {
          api.dispose(); show("Доступ до відеоконференції завершено."); return;
        }
        timer = setTimeout(refresh, 15000);
      });
    }
    api.addListener("errorOccurred", function (err) {
      if (!err || !err.isFatal || reconnects >= 5) { return; }
      reconnects += 1; clearTimeout(timer); api.dispose();
      openConference().catch(function () { show("Не вдалося відновити відеоконференцію."); });
    });
    schedule(t.expires_at);
  }

  function calledMe(s) {
    var vote = s && s.current_vote;
    return !!(vote && me && me.role !== "guest" && vote.called_participant_id === me.participant_id);
  }

  function render(s) {
    state = s;
    if (s.title) { $("title").textContent = "№ " + s.number + ": " + s.title; }
    $("phase").textContent = PHASES[s.phase] || s.phase;
    var agenda = s.agenda || [];
    var current = null;
    var list = $("agenda");
    list.textContent = "";
    agenda.forEach(function (a) {
      var li = document.createElement("li");
      li.textContent = a.title + (a.category_uk ? " — " + a.category_uk : "");
      li.className = a.status;
      list.appendChild(li);
      if (a.index === s.current_item) { current = a; }
    });
    $("item").textContent = current ? (current.index + 1) + ". " + current.title : "—";
    $("vote").hidden = !calledMe(s);
    var vote = s.current_vote;
    var mine = vote && vote.answers && me ? vote.answers[me.participant_id] : null;
    $("my-answer").hidden = !(mine && ANSWERS[mine]);
    if (mine && ANSWERS[mine]) { $("my-answer").textContent = "Ваш голос: «" + ANSWERS[mine] + "»."; }
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/api/v1/sessions/" + sessionId + "/ws");
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.type === "snapshot") { render(msg.state); }
    };
    ws.onclose = function () { setTimeout(connect, 3000); };
  }

  function answer(value) {
    if (!calledMe(state)) { return; }
    var buttons = document.querySelectorAll(".answer");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch("/api/v1/sessions/" + sessionId + "/votes/" + encodeURIComponent(state.current_vote.vote_id) + "/ballots", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf_token },
      body: JSON.stringify({ participant_id: me.participant_id, answer: value })
    }).then(function (r) {
      if (r.status === 201) { show("Ваш голос «" + ANSWERS[value] + "» зараховано."); return null; }
      return r.json().then(function (p) { show("Голос не прийнято: " + (p.detail || r.status)); });
    }).catch(function () { show("Немає зв'язку з сервером. Спробуйте ще раз."); })
      .then(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  }

  document.querySelectorAll(".answer").forEach(function (b) {
    b.addEventListener("click", function () { answer(b.dataset.answer); });
  });

  getJson("/api/v1/me").then(function (who) {
    if (who.session_id !== sessionId) { show("Ви увійшли на інше засідання."); return; }
    me = who;
    connect();
    openConference().catch(function (e) {
      show(e.status === 409 ? "Відеоконференція відкриється ближче до початку засідання."
                            : "Не вдалося відкрити відеоконференцію.");
    });
  }).catch(function () { show("Відкрийте ваше персональне посилання з листа, щоб увійти."); });
})();
