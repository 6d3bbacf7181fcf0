"""The security headers every answer gets, set once just before its headers are sent.

A page rendered by :func:`orchestrator.kernel.web.pages.render` and a stored file sent by
:mod:`orchestrator.kernel.web.files` bring a Content-Security-Policy of their own, which is kept;
everything else (the API's JSON and problems, feeds, static files, redirects) gets one that
loads nothing and may not be framed. ``Strict-Transport-Security`` is sent only when people
reach rada over https (``RADA_PUBLIC_URL``): behind a TLS proxy the browser saw https even if
rada's own socket is plain.

It hangs on ``on_response_prepare`` rather than being a middleware so that answers a handler
sends itself (a file streamed in ranges, the WebSocket handshake) and aiohttp's own (a static
file, a 404 for an unknown path) carry the headers too.
"""

from __future__ import annotations

from aiohttp import web

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000"  # one year; no includeSubDomains: the council's other hosts are its own


def permissions_policy(jitsi_origin: str) -> str:
    """Powerful features off for rada itself; camera, microphone, screen sharing and full
    screen may be delegated only to the council's Jitsi frame on the deputy page (R11: the
    chair identifies by sight and voice)."""
    delegated = f'(self "{jitsi_origin}")'
    features = {
        "camera": delegated,
        "microphone": delegated,
        "display-capture": delegated,
        "fullscreen": delegated,
        "autoplay": delegated,
        "geolocation": "()",
        "payment": "()",
        "usb": "()",
        "midi": "()",
        "accelerometer": "()",
        "gyroscope": "()",
        "magnetometer": "()",
    }
    return ", ".join(f"{name}={allow}" for name, allow in features.items())


def security_headers(*, public_url: str, jitsi_domain: str) -> dict[str, str]:
    """The headers every answer gets unless it already has its own."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": permissions_policy(f"https://{jitsi_domain}"),
        "Content-Security-Policy": API_CSP,
    }
    if public_url.startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return headers


def setup(app: web.Application, *, public_url: str, jitsi_domain: str) -> None:
    headers = security_headers(public_url=public_url, jitsi_domain=jitsi_domain)

    async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
        for name, value in headers.items():
            response.headers.setdefault(name, value)

    app.on_response_prepare.append(add_headers)
