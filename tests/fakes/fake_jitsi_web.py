"""A fake Jitsi Meet web front with Prosody's token check behind it, for browser tests.

It serves what a page of rada loads from ``https://<domain>``:

- ``/external_api.js``: a ``JitsiMeetExternalAPI(domain, options)`` as the real IFrame API
  builds it: an ``<iframe>`` at ``https://<domain>/<roomName>?jwt=<jwt>#jitsi_meet_external_api_id=<n>``
  in ``options.parentNode``; the iframe speaks to it with ``postMessage`` in the real library's
  postis envelope (``{postis: true, scope: "jitsi_meet_external_api_<n>", method: "message",
  params: {type: "event", name: "video-conference-joined", ...}}``) and the API emits the real
  event names (``videoConferenceJoined``, ``videoConferenceLeft``, ``errorOccurred``,
  ``readyToClose``) to ``addListener``; ``executeCommand("hangup")`` and ``dispose()`` too.
- ``/<room>``: the conference page. Before it "joins", the JWT from its URL is verified as
  Prosody's ``token_verification`` does (``typ: JWT``, HS256 with the shared app secret, ``iss``
  and ``aud`` accepted, ``sub`` the XMPP domain, ``room`` equal to the room joined, ``exp`` /
  ``nbf`` against this fake's clock), and then, as ``mod_muc_auth_ban`` does, rada's access
  URL is asked with the token as Bearer. Joined, the page posts ``video-conference-joined``;
  refused, ``error-occurred`` with a connection error, as Jitsi Meet does for a bad token.

Every attempt is kept in :attr:`FakeJitsiWeb.joins` (room, user id, the refusal or ``None``).
Browser tests route ``https://<domain>/**`` to this server (Playwright ``context.route``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web

EXTERNAL_API_JS = r"""
(function () {
  "use strict";
  var NAMES = {
    "video-conference-joined": "videoConferenceJoined",
    "video-conference-left": "videoConferenceLeft",
    "error-occurred": "errorOccurred",
    "ready-to-close": "readyToClose"
  };
  var counter = 0;
  function JitsiMeetExternalAPI(domain, options) {
    var self = this;
    options = options || {};
    this.id = counter++;
    this.scope = "jitsi_meet_external_api_" + this.id;
    this.listeners = {};
    var src = "https://" + domain + "/" + encodeURIComponent(options.roomName || "") +
      (options.jwt ? "?jwt=" + encodeURIComponent(options.jwt) : "") +
      "#jitsi_meet_external_api_id=" + this.id;
    this.iframe = document.createElement("iframe");
    this.iframe.src = src;
    this.iframe.name = "jitsiConferenceFrame" + this.id;
    this.iframe.allow = "camera; microphone; display-capture; autoplay";
    this.iframe.style.width = options.width || "100%";
    this.iframe.style.height = options.height || "100%";
    this.iframe.style.border = "0";
    (options.parentNode || document.body).appendChild(this.iframe);
    this.onMessage = function (e) {
      var d = e.data;
      if (!d || d.postis !== true || d.scope !== self.scope || d.method !== "message") { return; }
      var p = d.params || {};
      if (p.type !== "event" || !NAMES[p.name]) { return; }
      var payload = {};
      for (var k in p) { if (k !== "type" && k !== "name") { payload[k] = p[k]; } }
      (self.listeners[NAMES[p.name]] || []).forEach(function (fn) { fn(payload); });
    };
    window.addEventListener("message", this.onMessage);
  }
  JitsiMeetExternalAPI.prototype.addListener = function (name, fn) {
    (this.listeners[name] = this.listeners[name] || []).push(fn);
  };
  JitsiMeetExternalAPI.prototype.addEventListener = JitsiMeetExternalAPI.prototype.addListener;
  JitsiMeetExternalAPI.prototype.executeCommand = function (name) {
    if (!this.iframe || !this.iframe.contentWindow) { return; }
    this.iframe.contentWindow.postMessage({
      postis: true, scope: this.scope, method: "message",
      params: { type: "command", name: name, data: Array.prototype.slice.call(arguments, 1) }
    }, "*");
  };
  JitsiMeetExternalAPI.prototype.dispose = function () {
    window.removeEventListener("message", this.onMessage);
    if (this.iframe && this.iframe.parentNode) { this.iframe.parentNode.removeChild(this.iframe); }
    this.iframe = null;
  };
  window.JitsiMeetExternalAPI = JitsiMeetExternalAPI;
})();
"""

ROOM_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fake Jitsi</title>
</head><body><p id="state">{state}</p><script>
(function () {{
  var outcome = {outcome};
  var m = /jitsi_meet_external_api_id=(\\d+)/.exec(location.hash);
  var scope = "jitsi_meet_external_api_" + (m ? m[1] : "0");
  function post(name, data) {{
    var params = {{ type: "event", name: name }};
    for (var k in data) {{ params[k] = data[k]; }}
    parent.postMessage({{ postis: true, scope: scope, method: "message", params: params }}, "*");
  }}
  window.addEventListener("message", function (e) {{
    var d = e.data;
    if (!d || d.scope !== scope || !d.params || d.params.type !== "command") {{ return; }}
    if (d.params.name === "hangup") {{
      post("video-conference-left", {{ roomName: outcome.room }});
      post("ready-to-close", {{}});
    }}
  }});
  setTimeout(function () {{
    if (outcome.ok) {{
      post("video-conference-joined", {{ roomName: outcome.room, id: "fa1ce", displayName: outcome.name }});
    }} else {{
      post("error-occurred", {{ error: {{ name: "connection.passwordRequired", isFatal: true,
        message: outcome.reason, type: "CONNECTION" }} }});
    }}
  }}, 300);
}})();
</script></body></html>"""


@dataclass
class Join:
    room: str
    user_id: str | None
    refused: str | None
    """Why the join was refused (``None``: joined)."""
    name: str = ""


@dataclass
class FakeJitsiWeb:
    """The fake front: ``app`` to serve; the shared secret, issuers and audience Prosody is
    configured with; rada's ``/access`` URL (``mod_muc_auth_ban``), or ``None`` to skip it."""

    secret: str
    xmpp_domain: str
    issuers: tuple[str, ...]
    audiences: tuple[str, ...]
    access_url: str | None = None
    clock: Callable[[], float] = time.time
    joins: list[Join] = field(default_factory=list)

    @property
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/external_api.js", self.external_api)
        app.router.add_get("/{room}", self.room)
        return app

    async def external_api(self, request: web.Request) -> web.Response:
        return web.Response(text=EXTERNAL_API_JS, content_type="application/javascript")

    async def room(self, request: web.Request) -> web.Response:
        found = await self.join(request.match_info["room"], request.query.get("jwt", ""))
        refused = found.refused
        outcome = {"ok": refused is None, "room": found.room, "name": found.name, "reason": refused}
        page = ROOM_PAGE.format(
            state="joined" if refused is None else f"refused: {refused}",
            outcome=json.dumps(outcome).replace("<", "\\u003c"),
        )
        return web.Response(text=page, content_type="text/html")

    def verify(self, token: str, room: str) -> tuple[dict[str, Any] | None, str | None]:
        """Prosody's ``token_verification`` for a join to ``room``: (claims, refusal)."""
        if not token:
            return None, "no token"
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != "JWT" or header.get("alg") != "HS256":
                return None, "header"
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                },
            )
        except jwt.PyJWTError as exc:
            return None, f"signature: {type(exc).__name__}"
        now = self.clock()
        checks = {
            "iss": claims.get("iss") in self.issuers,
            "aud": claims.get("aud") in self.audiences,
            "sub": str(claims.get("sub", "")).lower() in (self.xmpp_domain.lower(), "*"),
            "room": claims.get("room") in (room, "*"),
            "exp": isinstance(claims.get("exp"), int | float) and now < claims["exp"],
            "nbf": isinstance(claims.get("nbf"), int | float) and now >= claims["nbf"],
        }
        failed = [name for name, ok in checks.items() if not ok]
        return claims, (f"claim {failed[0]}" if failed else None)

    async def ask_access(self, token: str) -> str | None:
        """``mod_muc_auth_ban``: only a 200 with ``access: false`` refuses."""
        assert self.access_url is not None
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.access_url, headers={"Authorization": f"Bearer {token}"}) as r,
        ):
            body = await r.json(content_type=None) if r.status == 200 else {}
        return "access refused" if isinstance(body, dict) and body.get("access") is False else None

    async def join(self, room: str, token: str) -> Join:
        """One join to ``room`` with ``token`` (the room page's, or an integration test's
        without a browser): verify as Prosody, ask rada's access URL, record."""
        claims, refused = self.verify(token, room.lower())
        if refused is None and self.access_url is not None:
            refused = await self.ask_access(token)
        user = (claims or {}).get("context", {}).get("user", {})
        if not isinstance(user, dict):
            user = {}
        name = user.get("name")
        found = Join(room.lower(), user.get("id"), refused, name if isinstance(name, str) else "")
        self.joins.append(found)
        return found


async def route_browser(context: Any, domain: str, base_url: str) -> None:
    """Send a Playwright browser context's requests for ``https://<domain>/…`` to the fake
    served at ``base_url`` (its answers fulfilled as if ``domain`` gave them)."""
    prefix = f"https://{domain}"

    async def handle(route: Any) -> None:
        url = route.request.url.split("#", 1)[0]
        async with (
            aiohttp.ClientSession() as http,
            http.get(base_url.rstrip("/") + url.removeprefix(prefix)) as r,
        ):
            body = await r.read()
            kind = r.headers.get("Content-Type", "text/plain")
            await route.fulfill(status=r.status, body=body, headers={"Content-Type": kind})

    await context.route(f"{prefix}/**", handle)
