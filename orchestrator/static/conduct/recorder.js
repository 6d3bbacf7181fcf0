"use strict";
// The recorder's state on the chair’s console: receiving or lost since …,
// current bitrate, part count. The journal's word (the live snapshot's `recording`) is shown
// until the recorder's own status (GET /api/v1/sessions/{id}/recording) has been read; that is
// re-read when the live state changes and every few seconds while the session runs, never more
// often than once per RECORDER_GAP_MS.
const RECORDER_GAP_MS = 3000, RECORDER_EVERY_MS = 5000;
const RUNNING = new Set(["opened", "competent", "item", "voting", "break"]);
const recorder = {data: null, missing: false, last: 0, timer: null, busy: false, restream: []};

function recorderWanted(s) {
  return RUNNING.has(s.phase) && s.recording.status !== "idle";
}

async function readRecorder() {
  recorder.busy = true;
  recorder.last = Date.now();
  try {
    const r = await fetch(`/api/v1/sessions/${SID}/recording`, {credentials: "same-origin"});
    if (r.ok) { recorder.data = await r.json(); recorder.missing = false; }
    else if (r.status === 404) { recorder.data = null; recorder.missing = true; }
    const rs = await fetch(`/api/v1/sessions/${SID}/restream`, {credentials: "same-origin"});
    if (rs.ok) recorder.restream = (await rs.json()).destinations;
  } catch (e) { /* offline: keep the last reading; the link indicator says so */ }
  recorder.busy = false;
  if (live) renderRecorder(live);
}

function refreshRecorder() {
  if (recorder.busy || recorder.timer !== null) return;
  const wait = recorder.last + RECORDER_GAP_MS - Date.now();
  if (wait <= 0) { readRecorder(); return; }
  recorder.timer = setTimeout(() => { recorder.timer = null; readRecorder(); }, wait);
}

function renderRecorder(s) {
  const rec = s.recording;
  const d = recorderWanted(s) ? recorder.data : null;
  let status = rec.status, since = rec.since, parts = rec.parts, extra = [];
  if (!RUNNING.has(s.phase) && rec.status !== "idle") status = "finished";
  if (d) {
    status = d.receiving ? "receiving" : (d.lost_since ? "lost" : "waiting");
    since = d.lost_since;
    parts = d.parts;
    if (d.receiving && d.bitrate_kbps !== null) extra.push(`${d.bitrate_kbps} кбіт/с`);
    if (d.storage_low) extra.push(`мало місця для запису: ${Math.floor((d.free_bytes || 0) / 1048576)} МіБ`);
  } else if (recorderWanted(s) && recorder.missing) {
    extra.push("рекордер не звітує");
  }
  const text = [recordingWords(status, since), ...extra, `частин: ${parts}`].join("; ");
  const warn = status === "lost" || (d && d.storage_low);
  const kids = [el("span", {class: warn ? "warn" : (status === "receiving" ? "ok" : "")}, text)];
  if (d && d.updated_at) kids.push(el("small", {class: "muted"}, ` (дані рекордера на ${kyiv(d.updated_at)})`));
  fill("recorder", ...kids);
  renderRestream();
  // announced politely only when the words change (not with every bitrate reading)
  const said = document.getElementById("recorder-said"), words = recordingWords(status, since);
  if (said.textContent !== words) said.textContent = words;
}

// Each restream destination (YouTube, Facebook, the council's server) by name: its own state;
// a failing one is retried by the recording process and never touches the recording (R9).
const RESTREAM_WORDS = {
  idle: "очікує запису", connecting: "підключення", streaming: "транслюється",
  retrying: "збій, повторне підключення", stopped: "зупинено",
};

function renderRestream() {
  const items = (recorder.restream || []).map(d => {
    let text = `«${d.name}»: ${RESTREAM_WORDS[d.state] || d.state}`;
    if (d.failures) text += ` (збоїв: ${d.failures})`;
    if (d.state === "retrying" && d.last_error) text += ` — ${d.last_error}`;
    return el("li", {class: d.state === "retrying" ? "warn" : (d.state === "streaming" ? "ok" : "")}, text);
  });
  fill("restream", ...items);
}

function recorderOnSnapshot(s) {
  renderRecorder(s);
  if (recorderWanted(s)) refreshRecorder();
}

setInterval(() => { if (live && recorderWanted(live)) refreshRecorder(); }, RECORDER_EVERY_MS);
