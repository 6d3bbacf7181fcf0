// «Перевірка зв’язку» (P1 technical check): the camera gives a picture, the microphone a
// signal above silence within a few seconds; then a short join to the participant's own test
// Jitsi room with a test token (IFrame API: videoConferenceJoined, a few seconds, hang up);
// the result is sent to rada and journaled.
(function () {
  "use strict";
  var root = document.getElementById("check-page");
  var sessionId = root.dataset.sessionId;
  var notice = document.getElementById("check-notice");
  var result = document.getElementById("check-result");
  var level = document.getElementById("check-level");
  var LISTEN_MS = 3000;
  var JOIN_WAIT_MS = 20000;  // no videoConferenceJoined by then: the join failed
  var STAY_MS = 3000;        // joined: stay this long, then hang up
  var csrf = "";

  function say(el, text, bad) {
    el.textContent = text;
    el.className = bad ? "status bad" : "status";
    el.hidden = false;
  }
  function mark(id, ok) {
    document.getElementById(id).textContent = ok ? "працює" : "не працює";
  }

  function listen(stream) {
    // the loudest level the microphone gives within LISTEN_MS
    return new Promise(function (resolve) {
      var tracks = stream.getAudioTracks();
      if (!tracks.length) { resolve(0); return; }
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var analyser = ctx.createAnalyser();
      analyser.fftSize = 1024;
      ctx.createMediaStreamSource(stream).connect(analyser);
      var data = new Uint8Array(analyser.fftSize);
      var peak = 0;
      var until = Date.now() + LISTEN_MS;
      (function tick() {
        analyser.getByteTimeDomainData(data);
        for (var i = 0; i < data.length; i++) { peak = Math.max(peak, Math.abs(data[i] - 128)); }
        level.value = Math.min(100, peak);
        if (Date.now() < until) { setTimeout(tick, 50); } else { ctx.close(); resolve(peak); }
      })();
    });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      if (window.JitsiMeetExternalAPI) { resolve(); return; }
      var s = document.createElement("script");
      s.src = src; s.onload = resolve;
      s.onerror = function () { reject(new Error("script")); };
      document.head.appendChild(s);
    });
  }

  // the short join: resolves {joined, why} and never rejects
  function testJoin() {
    var box = document.getElementById("check-conference");
    var join = document.getElementById("check-join");
    join.textContent = "під’єднання…";
    return fetch("/api/v1/sessions/" + sessionId + "/jitsi-test-token", {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.message_uk || "Тестовий пропуск не видано."); }
        return body;
      });
    }).then(function (t) {
      return loadScript("https://" + t.domain + "/external_api.js").then(function () {
        return new Promise(function (resolve) {
          box.hidden = false;
          var api = new window.JitsiMeetExternalAPI(t.domain, {
            roomName: t.room, jwt: t.jwt, parentNode: box, lang: "uk",
            width: "100%", height: "100%", userInfo: { displayName: t.display_name }
          });
          var done = false;
          function finish(joined, why) {
            if (done) { return; }
            done = true;
            clearTimeout(timer);
            setTimeout(function () { api.dispose(); box.hidden = true; }, joined ? 0 : 10);
            resolve({ joined: joined, why: why });
          }
          var timer = setTimeout(function () {
            finish(false, "відеоконференція не відповіла за " + (JOIN_WAIT_MS / 1000) + " секунд.");
          }, JOIN_WAIT_MS);
          api.addListener("videoConferenceJoined", function () {
            join.textContent = "під’єднано, від’єднуємо…";
            clearTimeout(timer);
            setTimeout(function () {
              api.executeCommand("hangup");
              finish(true, "");
            }, STAY_MS);
          });
          api.addListener("errorOccurred", function () {
            finish(false, "відеоконференція не прийняла тестовий пропуск.");
          });
        });
      });
    }).catch(function (e) {
      return { joined: false, why: e.message === "script" ?
        "не вдалося завантажити відеоконференцію." : e.message };
    }).then(function (outcome) {
      join.textContent = outcome.joined ? "вдалося" : "не вдалося";
      return outcome;
    });
  }

  function report(camera, microphone, joined) {
    return fetch("/api/v1/sessions/" + sessionId + "/connection-check", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ camera: camera, microphone: microphone, joined: joined })
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.message_uk || "Результат не прийнято."); }
        return body;
      });
    });
  }

  document.getElementById("check-tone").addEventListener("click", function () {
    var ctx = new (window.AudioContext || window.webkitAudioContext)();
    var osc = ctx.createOscillator();
    osc.frequency.value = 440;
    osc.connect(ctx.destination);
    osc.start();
    setTimeout(function () { osc.stop(); ctx.close(); }, 700);
  });

  document.getElementById("check-start").addEventListener("click", function () {
    result.hidden = true;
    var stream = null;
    navigator.mediaDevices.getUserMedia({ video: true, audio: true }).catch(function () {
      return navigator.mediaDevices.getUserMedia({ audio: true }).catch(function () { return null; });
    }).then(function (s) {
      stream = s;
      var camera = !!(s && s.getVideoTracks().length && s.getVideoTracks()[0].readyState === "live");
      if (camera) { document.getElementById("check-video").srcObject = s; }
      mark("check-camera", camera);
      return (s ? listen(s) : Promise.resolve(0)).then(function (peak) {
        var microphone = peak > 2;
        mark("check-microphone", microphone);
        // the conference takes the camera and microphone itself: let ours go first
        if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
        return testJoin().then(function (outcome) {
          return report(camera, microphone, outcome.joined).then(function (event) {
            if (event.payload.passed) {
              say(result, "Перевірку пройдено: камера й мікрофон працюють, тестове під’єднання " +
                "до відеоконференції вдалося. Результат надіслано апарату ради.", false);
            } else {
              say(result, "Перевірку не пройдено: " + (camera ? "" : "камера не працює. ") +
                (microphone ? "" : "мікрофон не передає звук. ") +
                (outcome.joined ? "" : "Тестове під’єднання до відеоконференції не вдалося: " +
                  outcome.why + " ") +
                (camera && microphone ? "Спробуйте ще раз; якщо не допоможе, зателефонуйте " +
                  "секретарю ради." :
                  "Дозвольте браузеру доступ до камери й мікрофона та спробуйте ще раз."), true);
            }
          });
        });
      });
    }).catch(function (e) {
      say(result, e.message || "Перевірку не вдалося завершити.", true);
    }).then(function () {
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    });
  });

  fetch("/api/v1/me", { credentials: "same-origin" }).then(function (r) {
    return r.json().then(function (body) { return { ok: r.ok, body: body }; });
  }).then(function (me) {
    if (!me.ok) {
      say(notice, "Відкрийте ваше персональне посилання з листа-повідомлення, а тоді цю сторінку.", true);
      document.getElementById("check-start").disabled = true;
      return;
    }
    csrf = me.body.csrf_token;
  });
})();
