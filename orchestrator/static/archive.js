// rada public archive: the recording player across parts, chapter seeking, countdowns.
// Loaded from this server only; works without it (plain links and a native <video>).
(function () {
  "use strict";

  // --- HLS through the bundled hls.js (static/hls.light.min.js, Apache-2.0, served from this
  // server like everything else; no worker, so the CSP needs no blob: scripts). A browser
  // without Media Source Extensions gets its own HLS, if it has one (Safari, iOS).
  function attachHls(video, url, options) {
    if (window.Hls && window.Hls.isSupported()) {
      var config = { enableWorker: false };
      Object.keys(options || {}).forEach(function (k) { config[k] = options[k]; });
      var hls = new window.Hls(config);
      hls.loadSource(url);
      hls.attachMedia(video);
      return true;
    }
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      return true;
    }
    return false;
  }

  // chapter buttons seek the player; the one playing now is marked
  function bindChapters(video, seek) {
    var buttons = document.querySelectorAll("[data-seek-ms]");
    function mark() {
      var now = window.radaPlayer.position();
      var active = null;
      buttons.forEach(function (b) { if (Number(b.dataset.seekMs) <= now) active = b; });
      buttons.forEach(function (b) { b.setAttribute("aria-current", b === active ? "true" : "false"); });
    }
    buttons.forEach(function (button) {
      button.addEventListener("click", function () { seek(Number(button.dataset.seekMs)); });
    });
    video.addEventListener("timeupdate", mark);
  }

  function partIndexAt(parts, ms) {
    for (var i = 0; i < parts.length; i++) {
      if (ms < parts[i].offset_ms + parts[i].duration_ms) return i;
    }
    return parts.length - 1;
  }

  // The archive's VOD playlist: every part on one timeline (EXT-X-DISCONTINUITY between
  // them), so a moment of the joint timeline (the protocol's offsets, chapters.vtt) is simply
  // the player's time.
  function initPlaylistPlayer(video, parts) {
    if (!attachHls(video, video.dataset.playlist, {})) return false;
    video.querySelectorAll("track").forEach(function (t) { t.src = video.dataset.chapters; });
    function position() { return Math.round(video.currentTime * 1000); }
    function seek(ms) {
      video.currentTime = ms / 1000;
      video.play().catch(function () {});
    }
    window.radaPlayer = {
      seek: seek,
      part: function () { return parts[partIndexAt(parts, position())].part; },
      position: position
    };
    bindChapters(video, seek);
    return true;
  }

  function initPlayer() {
    var video = document.getElementById("player");
    if (!video) return;
    var parts = JSON.parse(video.dataset.parts || "[]");
    if (!parts.length) return;
    if (video.dataset.playlist && initPlaylistPlayer(video, parts)) return;
    // no playlist in the archive (or no way to play HLS): each part as an MP4 of its own
    var current = 0;

    function load(i, seconds, autoplay) {
      current = i;
      video.src = parts[i].src;
      // each part has its own chapters/captions file timed from its start
      video.querySelectorAll("track").forEach(function (t) { t.src = parts[i].chapters; });
      video.addEventListener("loadedmetadata", function () {
        video.currentTime = seconds;
        if (autoplay) video.play().catch(function () {});
      }, { once: true });
      video.load();
    }

    // seek to a moment of the joint timeline (the protocol's offsets, chapters.vtt)
    function seek(ms) {
      var i = partIndexAt(parts, ms);
      var seconds = Math.max(0, ms - parts[i].offset_ms) / 1000;
      if (i !== current) {
        load(i, seconds, true);
      } else {
        video.currentTime = seconds;
        video.play().catch(function () {});
      }
    }

    video.addEventListener("ended", function () {
      if (current + 1 < parts.length) load(current + 1, 0, true);
    });

    window.radaPlayer = {
      seek: seek,
      part: function () { return parts[current].part; },
      position: function () { return parts[current].offset_ms + Math.round(video.currentTime * 1000); }
    };
    bindChapters(video, seek);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function initCountdowns() {
    var nodes = document.querySelectorAll("[data-countdown]");
    if (!nodes.length) return;
    function tick() {
      nodes.forEach(function (node) {
        var left = Math.floor((Date.parse(node.dataset.countdown) - Date.now()) / 1000);
        if (isNaN(left)) return;
        if (left <= 0) { node.textContent = node.dataset.done || "час настав"; return; }
        var d = Math.floor(left / 86400), h = Math.floor(left / 3600) % 24;
        var m = Math.floor(left / 60) % 60, s = left % 60;
        node.textContent = (d ? d + " д " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
      });
    }
    tick();
    setInterval(tick, 1000);
  }


  // --- the live broadcast: the recorder's live playlist (live.m3u8), joined near its live
  // edge; a new part after a technical break (EXT-X-DISCONTINUITY) follows on, and the
  // playlist's EXT-X-ENDLIST at close ends it.
  function initLivePlayer() {
    var video = document.getElementById("live-player");
    if (!video) return;
    if (!attachHls(video, video.dataset.playlist, { liveSyncDurationCount: 3 })) return;
    video.addEventListener("canplay", function () {
      if (video.paused) video.play().catch(function () {});
    }, { once: true });
  }

  // --- the live state of a session in progress (shared/live-state contract) ---------------
  var PHASE = {
    announced: "оголошено", opened: "відкрито, триває ідентифікація",
    competent: "правомочне", item: "розгляд питання", voting: "поіменне голосування",
    "break": "перерва", closed: "закрито", cancelled: "скасовано"
  };
  var STATUS = { pending: "очікує", open: "розглядається", voting: "голосування", closed: "розглянуто" };
  var CAUSE = {
    chair: "оголошена головуючим", recording_lost: "втрата запису (технічна перерва)",
    quorum_lost: "втрата кворуму", storage: "несправність сховища запису"
  };
  var RECORDING = { idle: "не ведеться", receiving: "ведеться", lost: "втрачено" };

  function initLive() {
    var root = document.getElementById("live");
    if (!root) return;
    var sid = root.dataset.session;
    function put(name, text) {
      var node = root.querySelector('[data-live="' + name + '"]');
      if (node && node.textContent !== text) node.textContent = text;
    }
    function render(state) {
      var names = {};
      (state.participants || []).forEach(function (p) { names[p.participant_id] = p.name; });
      put("phase", PHASE[state.phase] || state.phase);
      var q = state.quorum;
      if (q) {
        put("quorum", "присутні " + q.present_deputies + " з " + q.total_composition +
            " (потрібно " + q.required + "), " + (q.holds ? "кворум є" : "кворуму немає"));
      }
      var agenda = state.agenda || [];
      var current = agenda.filter(function (a) { return a.index === state.current_item; })[0];
      put("item", current ? (current.index + 1) + ". " + current.title : "—");
      agenda.forEach(function (a) {
        var node = root.querySelector('[data-live-item="' + a.index + '"]');
        if (node) node.textContent = STATUS[a.status] || a.status;
      });
      var v = state.current_vote;
      if (v) {
        var t = v.tally || {};
        var called = v.called_participant_id ? (names[v.called_participant_id] || "") : "";
        put("vote", (called ? "викликано: " + called + "; " : "") + "за — " + (t["for"] || 0) +
            ", проти — " + (t.against || 0) + ", утримався — " + (t.abstain || 0) +
            ", не голосував — " + (t.not_voted || 0) + ", відсутній — " + (t.absent || 0) +
            "; потрібно " + v.required);
      } else {
        put("vote", "—");
      }
      var b = state["break"];
      put("break", b ? (CAUSE[b.cause] || b.cause) + (b.reason ? ": " + b.reason : "") : "—");
      var r = state.recording;
      if (r) put("recording", (RECORDING[r.status] || r.status) + ", частин: " + r.parts);
    }
    function poll() {
      fetch("/api/v1/sessions/" + sid + "/live", { headers: { Accept: "application/json" } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (state) { if (state) render(state.state || state); })
        .catch(function () {});
    }
    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var ws;
      try {
        ws = new WebSocket(scheme + location.host + "/api/v1/sessions/" + sid + "/ws");
      } catch (e) {
        setTimeout(connect, 5000);
        return;
      }
      // the frames: a snapshot, then patches onto it (static/livestate.js)
      ws.onmessage = radaLiveFrames(ws, render);
      ws.onclose = function () { poll(); setTimeout(connect, 5000); };
    }
    poll();
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initPlayer();
    initCountdowns();
    initLive();
    initLivePlayer();
  });
})();
