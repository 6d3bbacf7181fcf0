"use strict";
// The session's Jitsi call embedded in a console with the IFrame API, as on the deputy's page
// (GET /api/v1/sessions/{id}/jitsi-token, then https://DOMAIN/external_api.js, lang uk).
// Presence and quorum count from taking part in this call.
function openCall(autoJoin) {
  const host = document.getElementById("conference");
  if (!host) return;
  const notice = (text) => fill("call-notice", text || "");
  const join = async () => {
    fill("call-join");
    notice("Підключення до відеоконференції…");
    try {
      const r = await fetch(`/api/v1/sessions/${SID}/jitsi-token`, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (!r.ok) {
        let problem = null;
        try { problem = await r.json(); } catch (e) { /* not JSON */ }
        notice(problemWords(problem, "Не вдалося відкрити відеоконференцію."));
        return;
      }
      const t = await r.json();
      await new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = `https://${t.domain}/external_api.js`;
        script.onload = resolve;
        script.onerror = () => reject(new Error("external_api.js"));
        document.head.append(script);
      });
      const api = new window.JitsiMeetExternalAPI(t.domain, {
        roomName: t.room, jwt: t.jwt, parentNode: host, lang: "uk",
        width: "100%", height: "100%", userInfo: {displayName: t.display_name},
      });
      notice("");
      api.addListener("videoConferenceLeft", () => notice("Ви вийшли з відеоконференції. Оновіть сторінку, щоб повернутися."));
      api.addListener("errorOccurred", () => notice("Помилка відеоконференції. Оновіть сторінку."));
    } catch (e) {
      notice("Не вдалося завантажити відеоконференцію: перевірте зв’язок і оновіть сторінку.");
    }
  };
  if (autoJoin) { join(); return; }
  // the secretary sits in the chair's room: joining is a choice (two microphones echo)
  fill("call-join", el("button", {type: "button", class: "secondary", onclick: join}, "Приєднатися до відеоконференції"));
  notice("Секретар, як правило, перебуває в одній залі з головуючим: приєднуйтеся з вимкненим мікрофоном.");
}

// The call is offered once the first snapshot says the session has not ended.
let callOffered = false;
function callOnSnapshot(s, autoJoin) {
  if (callOffered) return;
  callOffered = true;
  if (s.phase === "closed" || s.phase === "cancelled") fill("call-notice", "Засідання завершено; відеоконференцію закрито.");
  else openCall(autoJoin);
}
