"use strict";
// The public watch page: the broadcast (the recorder's live HLS, played by the archive's
// player) or, after the close, the recording part by part, with the live vote beside it.
const RENDERED_PHASE = ROOT.dataset.phase;
const LIVE_NOW = (phase) => LIVE_PHASES.has(phase);

async function playRecording() {
  const video = document.getElementById("recording-player");
  if (!video) return;
  const note = (text) => fill("recording-note", text);
  let manifest = null;
  try {
    const r = await fetch(`/archive/sessions/${SID}/files/manifest.json`, {cache: "no-store"});
    if (r.ok) manifest = await r.json();
  } catch (e) { /* offline */ }
  const parts = manifest ? (Array.isArray(manifest) ? manifest : manifest.parts || []) : [];
  if (!parts.length) { note("Запис ще не додано до архіву. Спробуйте пізніше."); return; }
  const srcOf = (p) => `/archive/sessions/${SID}/files/parts/${p.file.split("/").pop()}`;
  let current = 0;
  video.src = srcOf(parts[0]);
  video.hidden = false;
  note(parts.length > 1 ? `Запис має кілька частин (технічні перерви); вони відтворюються одна за одною.` : "");
  video.addEventListener("ended", () => {
    if (current + 1 < parts.length) { current += 1; video.src = srcOf(parts[current]); video.play().catch(() => {}); }
  });
}

connect((s) => {
  // the page was rendered for another stage (started, or closed): show the right player
  if (LIVE_NOW(s.phase) !== LIVE_NOW(RENDERED_PHASE) || (s.phase === "closed") !== (RENDERED_PHASE === "closed")) {
    setTimeout(() => location.reload(), 1500);
  }
});
playRecording();
