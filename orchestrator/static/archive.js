// rada public archive: the recording player across parts, chapter seeking, countdowns.
// Loaded from this server only; works without it (plain links and a native <video>).
(function () {
  "use strict";

  function initPlayer() {
    var video = document.getElementById("player");
    if (!video) return;
    var parts = JSON.parse(video.dataset.parts || "[]");
    if (!parts.length) return;
    var current = 0;

    function indexAt(ms) {
      for (var i = 0; i < parts.length; i++) {
        if (ms < parts[i].offset_ms + parts[i].duration_ms) return i;
      }
      return parts.length - 1;
    }

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
      var i = indexAt(ms);
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

    window.radaPlayer = {
      seek: seek,
      part: function () { return parts[current].part; },
      position: function () { return parts[current].offset_ms + Math.round(video.currentTime * 1000); }
    };
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


  // --- the live broadcast: the recorder's byte-range fMP4 HLS playlist (live.m3u8) ---------
  // A small player of our own feeds Media Source Extensions (a browser without them gets its
  // native HLS): the EXT-X-MAP init section of each part, then each segment by its byte range,
  // in "sequence" mode so that a new part after a technical break (EXT-X-DISCONTINUITY) simply
  // follows on.
  function parsePlaylist(text) {
    var entries = [], map = null, duration = null, range = null, lastEnd = {}, discontinuity = false;
    function byterange(value, uri) {
      var parts = value.split("@");
      var length = Number(parts[0]);
      var offset = parts.length > 1 ? Number(parts[1]) : (lastEnd[uri] || 0);
      return { offset: offset, length: length };
    }
    text.split("\n").forEach(function (raw) {
      var line = raw.trim();
      if (!line) return;
      if (line.indexOf("#EXT-X-MAP:") === 0) {
        var uri = /URI="([^"]+)"/.exec(line), br = /BYTERANGE="([^"]+)"/.exec(line);
        map = { uri: uri ? uri[1] : "", range: br ? byterange(br[1], "") : null };
      } else if (line === "#EXT-X-DISCONTINUITY") {
        discontinuity = true;
      } else if (line.indexOf("#EXTINF:") === 0) {
        duration = parseFloat(line.slice(8));
      } else if (line.indexOf("#EXT-X-BYTERANGE:") === 0) {
        range = line.slice(17);
      } else if (line[0] !== "#" && duration !== null) {
        var r = range ? byterange(range, line) : null;
        if (r) lastEnd[line] = r.offset + r.length;
        entries.push({ uri: line, range: r, duration: duration, map: map, discontinuity: discontinuity });
        duration = null; range = null; discontinuity = false;
      }
    });
    return entries;
  }

  function fetchBytes(url, range) {
    var headers = range ? { Range: "bytes=" + range.offset + "-" + (range.offset + range.length - 1) } : {};
    return fetch(url, { headers: headers, cache: "no-store" }).then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.arrayBuffer();
    });
  }

  function codecsOf(init) {
    var bytes = new Uint8Array(init), text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    var codecs = [], at = text.indexOf("avcC");
    function hex(n) { return (n < 16 ? "0" : "") + n.toString(16); }
    if (at >= 0) codecs.push("avc1." + hex(bytes[at + 5]) + hex(bytes[at + 6]) + hex(bytes[at + 7]));
    if (text.indexOf("mp4a") >= 0) codecs.push("mp4a.40.2");
    return 'video/mp4; codecs="' + codecs.join(",") + '"';
  }

  function initLivePlayer() {
    var video = document.getElementById("live-player");
    if (!video) return;
    var playlist = video.dataset.playlist;
    var base = playlist.slice(0, playlist.lastIndexOf("/") + 1);
    if (!window.MediaSource) {
      // no Media Source Extensions (older iOS): the browser's own HLS, if it has one
      if (video.canPlayType("application/vnd.apple.mpegurl")) video.src = playlist;
      return;
    }
    var source = new MediaSource(), buffer = null, next = 0, currentMap = null;
    video.src = URL.createObjectURL(source);
    function append(data) {
      return new Promise(function (resolve, reject) {
        buffer.addEventListener("updateend", resolve, { once: true });
        buffer.addEventListener("error", reject, { once: true });
        buffer.appendBuffer(data);
      });
    }
    function step(entries) {
      if (next >= entries.length) return Promise.resolve();
      var e = entries[next], mapKey = e.map ? e.map.uri + JSON.stringify(e.map.range) : "";
      var init = Promise.resolve(null);
      if (e.map && (mapKey !== currentMap || e.discontinuity)) init = fetchBytes(base + e.map.uri, e.map.range);
      return init.then(function (initData) {
        if (initData && !buffer) {
          buffer = source.addSourceBuffer(codecsOf(initData));
          buffer.mode = "sequence";
        }
        currentMap = mapKey;
        return initData ? append(initData) : null;
      }).then(function () {
        return fetchBytes(base + e.uri, e.range);
      }).then(append).then(function () {
        next += 1;
        return step(entries);
      });
    }
    function refresh() {
      fetch(playlist, { cache: "no-store" }).then(function (res) { return res.ok ? res.text() : ""; })
        .then(function (text) {
          var entries = parsePlaylist(text);
          if (next === 0 && entries.length > 3) next = entries.length - 3;  // join near the live edge
          return step(entries);
        })
        .then(function () {
          if (!video.buffered.length) return;
          var start = video.buffered.start(0);
          if (video.currentTime < start) video.currentTime = start;  // joined mid-stream
          if (video.paused) video.play().catch(function () {});
        })
        .catch(function (e) { console.warn("live player: " + e); })
        .then(function () { setTimeout(refresh, 2000); });
    }
    source.addEventListener("sourceopen", refresh, { once: true });
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
      // the first frame is a snapshot, then patches onto it (orchestrator/conduct/live.py):
      // [path, value] sets, [path] deletes; one onto another state asks for a fresh snapshot
      var held = null, seq = -1, asked = false;
      ws.onmessage = function (message) {
        var data = JSON.parse(message.data);
        if (data.seq <= seq) return;
        if (data.type === "snapshot") {
          held = data.state; asked = false;
        } else if (data.type === "patch" && data.base === seq && held && !asked) {
          data.ops.forEach(function (op) {
            var path = op[0], node = held;
            if (!path.length) { held = op[1]; return; }
            for (var i = 0; i < path.length - 1; i++) node = node[path[i]];
            if (op.length === 1) delete node[path[path.length - 1]];
            else node[path[path.length - 1]] = op[1];
          });
        } else {
          if (!asked && ws.readyState === 1) { asked = true; ws.send(JSON.stringify({ type: "resync" })); }
          return;
        }
        seq = data.seq;
        render(held);
      };
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
