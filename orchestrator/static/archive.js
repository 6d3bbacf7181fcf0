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

  document.addEventListener("DOMContentLoaded", function () { initPlayer(); initCountdowns(); });
})();
