// The participant's page: the Jitsi call through the IFrame API, the session's live state,
// who is signed in, the current item's drafts and amendments, the place in the roll-call queue,
// the three answers when this deputy is called (R15, R16) and the result after each vote.
(function () {
  "use strict";
  var sessionId = document.getElementById("participant-page").dataset.sessionId;
  var PHASES = {
    convened: "Скликано", announced: "Оголошено", opened: "Засідання відкрито",
    competent: "Засідання правомочне", item: "Розгляд питання", voting: "Голосування",
    "break": "Перерва", closed: "Засідання закрито", cancelled: "Засідання скасовано"
  };
  var RUNNING = { opened: 1, competent: 1, item: 1, voting: 1, "break": 1 };
  var CAUSES = {
    chair: "оголошена головуючим", recording_lost: "технічна: втрачено запис засідання",
    quorum_lost: "втрачено кворум", storage: "технічна: збій сховища запису"
  };
  var ROLE_WORDS = {
    chair: ["головуючий на засіданні", "головуюча на засіданні"],
    secretary: ["секретар ради", "секретар ради"],
    deputy: ["депутат ради", "депутатка ради"],
    guest: ["запрошений (без права голосу)", "запрошена (без права голосу)"]
  };
  var RESULT_ANSWERS = { "for": "за", against: "проти", abstain: "утримався", none: "не голосував" };
  // The answers' names come from the buttons, which the server prints from one table (tally.py).
  var ANSWERS = {};
  document.querySelectorAll("button[data-answer]").forEach(function (b) {
    ANSWERS[b.dataset.answer] = b.textContent.trim().toLowerCase();
  });
  var me = null;
  var state = null;
  var session = null;       // GET /api/v1/sessions/{id}: drafts per item, the council's name
  var lastPhase = null;
  var wasCalled = false;
  var call = { open: false, problem: null, retry: null };

  function $(id) { return document.getElementById(id); }
  function show(text) { $("notice").textContent = text || ""; $("notice").hidden = !text; }
  function female(p) { return /вна$/.test((p && p.patronymic) || ""); }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.ok) { return r.json(); }
        return r.json().catch(function () { return {}; }).then(function (p) {
          var err = new Error("HTTP " + r.status); err.status = r.status; err.problem = p; throw err;
        });
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
        call.open = true; call.problem = null;
        if (call.retry) { clearInterval(call.retry); call.retry = null; }
        api.addListener("videoConferenceJoined", function () { show(""); });
        api.addListener("videoConferenceLeft", function () { show("Ви вийшли з відеоконференції."); });
        api.addListener("errorOccurred", function () {
          show("Помилка відеоконференції. Оновіть сторінку.");
        });
        keepTokenFresh(api, t);
      });
    });
  }

  function callNotice() {
    if (call.open || !call.problem) { return null; }
    var phase = state ? state.phase : null;
    if (phase === "closed" || phase === "cancelled") { return null; }
    if (phase && RUNNING[phase]) {
      return "Не вдалося під’єднатися до відеоконференції: " +
        (call.problem.message_uk || "спробуйте оновити сторінку.") +
        " Якщо не допоможе, зателефонуйте секретарю ради.";
    }
    if (call.problem.status === 409) {
      return "Відеоконференція відкриється за годину до початку засідання; сторінка спробує " +
        "під’єднатися сама.";
    }
    return "Не вдалося відкрити відеоконференцію. Оновіть сторінку.";
  }

  function tryConference() {
    return openConference().catch(function (e) {
      call.problem = { status: e.status || 0, message_uk: e.problem ? e.problem.message_uk : null };
      var text = callNotice();
      if (text) { show(text); }
      if (!call.retry) { call.retry = setInterval(function () { if (!call.open) { tryConference(); } }, 60000); }
    });
  }

  function person(pid) {
    var list = (state && state.participants) || [];
    for (var i = 0; i < list.length; i++) { if (list[i].participant_id === pid) { return list[i]; } }
    var sp = (session && session.participants) || [];
    for (var j = 0; j < sp.length; j++) {
      if (sp[j].participant_id === pid) {
        return { name: [sp[j].surname, sp[j].given_name, sp[j].patronymic].filter(Boolean).join(" "),
                 patronymic: sp[j].patronymic, role: sp[j].role };
      }
    }
    return null;
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
          api.dispose(); call.open = false; show("Доступ до відеоконференції завершено."); return;
        }
        timer = setTimeout(refresh, 15000);
      });
    }
    api.addListener("errorOccurred", function (err) {
      if (!err || !err.isFatal || reconnects >= 5) { return; }
      reconnects += 1; clearTimeout(timer); api.dispose(); call.open = false;
      tryConference();
    });
    schedule(t.expires_at);
  }

  function calledMe(s) {
    var vote = s && s.current_vote;
    if (!(vote && me && me.role !== "guest" && s.phase === "voting")) { return false; }
    if (vote.mode === "simultaneous") {  // E7: every member in the vote answers at once
      return (vote.order || []).indexOf(me.participant_id) >= 0 &&
             !(vote.answers || {})[me.participant_id];
    }
    return vote.called_participant_id === me.participant_id;
  }

  function beep() {
    if (!$("sound").checked) { return; }
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.35);
    } catch (e) { /* no audio: the focus and the panel still say it */ }
  }

  function renderWho() {
    if (!me) { return; }
    var p = person(me.participant_id);
    if (!p) { return; }
    var words = ROLE_WORDS[me.role] || [me.role, me.role];
    $("whoami").textContent = "Ви ввійшли як " + p.name + " — " + words[female(p) ? 1 : 0] + ".";
    $("whoami").hidden = false;
  }

  function voteWhat(v, item) {
    if (v.amendment === null || v.amendment === undefined) {
      return "Голосування за проєкт рішення з питання " + (v.item + 1) + (item ? ": «" + item.title + "»" : "") + ".";
    }
    var text = "";
    if (item && item.amendments) {
      item.amendments.forEach(function (a) { if (a.amendment === v.amendment) { text = a.text; } });
    }
    return "Голосування за поправку " + (v.amendment + 1) + " до питання " + (v.item + 1) +
      (text ? ": «" + text + "»" : "") + ".";
  }

  function resultWords(r) {
    var head = r.amendment === null || r.amendment === undefined
      ? (r.adopted ? "Рішення прийнято" : "Рішення не прийнято")
      : (r.adopted ? "Поправку " + (r.amendment + 1) + " прийнято" : "Поправку " + (r.amendment + 1) + " не прийнято");
    return head + ": за " + r["for"] + ", проти " + r.against + ", утрималися " + r.abstain +
      ", не голосували " + r.not_voted + ", відсутні " + r.absent + ".";
  }

  function renderResult(s) {
    var results = s.results || [];
    var r = results.length && !s.current_vote ? results[results.length - 1] : null;
    $("result").hidden = !r;
    if (!r) { return; }
    var mine = me && r.answers ? r.answers[me.participant_id] : null;
    $("result-words").textContent = resultWords(r) + (mine ? " Ваш голос: «" + RESULT_ANSWERS[mine] + "»." : "");
    var body = $("result-names");
    body.textContent = "";
    var rows = [];
    Object.keys(r.answers || {}).forEach(function (pid) { rows.push([pid, RESULT_ANSWERS[r.answers[pid]] || r.answers[pid]]); });
    (r.absent_participant_ids || []).forEach(function (pid) { rows.push([pid, "відсутній"]); });
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      var p = person(row[0]);
      [p ? p.name : row[0], row[1]].forEach(function (text) {
        var td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function renderQueue(s) {
    var v = s.current_vote, text = "";
    if (v && me && me.role !== "guest" && s.phase === "voting" && !calledMe(s)) {
      var answers = v.answers || {};
      var at = (v.order || []).indexOf(me.participant_id);
      if (at >= 0 && !answers[me.participant_id]) {
        var ahead = 0;
        for (var i = 0; i < at; i++) { if (!answers[v.order[i]]) { ahead += 1; } }
        text = "Ваше місце в черзі поіменного голосування: " + (ahead + 1) + ".";
      } else if (at < 0) {
        text = "Вас немає в черзі цього голосування: ваша особа в конференції не підтверджена.";
      }
    }
    $("queue").textContent = text;
    $("queue").hidden = !text;
  }

  function renderCurrent(s, current) {
    $("current").hidden = !current;
    if (!current) { return; }
    $("current-title").textContent = (current.index + 1) + ". " + current.title;
    var docs = [];
    if (session && session.agenda && session.agenda[current.index]) { docs = session.agenda[current.index].documents || []; }
    var list = $("documents");
    list.textContent = "";
    if (!docs.length) {
      var none = document.createElement("li"); none.textContent = "Документів до питання не додано."; list.appendChild(none);
    }
    docs.forEach(function (d) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = d.url; a.textContent = d.filename; a.setAttribute("download", d.filename);
      li.appendChild(a); list.appendChild(li);
    });
    var amendments = current.amendments || [];
    $("amendments-box").hidden = !amendments.length;
    var ol = $("amendments");
    ol.textContent = "";
    amendments.forEach(function (a) { var li = document.createElement("li"); li.textContent = a.text; ol.appendChild(li); });
  }

  function render(s) {
    state = s;
    if (lastPhase !== null && s.phase !== lastPhase) {
      show(callNotice() || "");  // a message about the last stage no longer holds
      $("my-answer").hidden = true;
    }
    lastPhase = s.phase;
    if (s.title) { $("title").textContent = "№ " + s.number + ": " + s.title; }
    $("phase").textContent = PHASES[s.phase] || s.phase;
    renderWho();
    var b = s["break"];
    $("break-reason").hidden = !b;
    if (b) {
      $("break-reason").textContent = "Перерва (" + (CAUSES[b.cause] || b.cause) + ")" +
        (b.reason ? ": " + b.reason : "") + ". Засідання продовжиться після перерви.";
    }
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
    renderCurrent(s, current);
    var called = calledMe(s);
    $("vote").hidden = !called;
    if (called) { $("vote-what").textContent = voteWhat(s.current_vote, current); }
    if (called && !wasCalled) { $("vote").focus(); beep(); }
    wasCalled = called;
    renderQueue(s);
    var vote = s.current_vote;
    var mine = vote && vote.answers && me ? vote.answers[me.participant_id] : null;
    $("my-answer").hidden = !(mine && ANSWERS[mine]);
    if (mine && ANSWERS[mine]) { $("my-answer").textContent = "Ваш голос: «" + ANSWERS[mine] + "»."; }
    renderResult(s);
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + "/api/v1/sessions/" + sessionId + "/ws");
    // the frames: a snapshot, then patches onto it (/static/livestate.js)
    ws.onmessage = radaLiveFrames(ws, render);
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
      return r.json().then(function (p) {
        show("Голос не прийнято: " + (p.message_uk || "спробуйте ще раз або скажіть відповідь уголос."));
      });
    }).catch(function () { show("Немає зв’язку із сервером. Спробуйте ще раз або скажіть відповідь уголос."); })
      .then(function () { buttons.forEach(function (b) { b.disabled = false; }); });
  }

  document.querySelectorAll(".answer").forEach(function (b) {
    b.addEventListener("click", function () { answer(b.dataset.answer); });
  });

  var sound = $("sound");
  try { sound.checked = window.localStorage.getItem("rada-sound") === "1"; } catch (e) { /* private mode */ }
  sound.addEventListener("change", function () {
    try { window.localStorage.setItem("rada-sound", sound.checked ? "1" : "0"); } catch (e) { /* private mode */ }
  });

  getJson("/api/v1/me").then(function (who) {
    if (who.session_id !== sessionId) { show("Ви ввійшли на інше засідання."); return; }
    me = who;
    getJson("/api/v1/sessions/" + sessionId).then(function (view) {
      session = view;
      var brand = document.querySelector("header.site .brand");
      if (brand && view.council && view.council.name) { brand.textContent = view.council.name; }
      if (state) { render(state); }
    }).catch(function () { /* drafts stay unlisted; the live state still works */ });
    connect();
    tryConference();
  }).catch(function () { show("Відкрийте ваше персональне посилання з листа, щоб увійти."); });
})();
