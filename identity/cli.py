"""Identity's lines in ``rada check``: what rada will tell Jitsi and the mail relay."""

from __future__ import annotations

import os

from orchestrator.kernel.settings import Settings, SettingsError
from orchestrator.kernel.settings.identity import JitsiSettings, SmtpSettings


def check_lines(settings: Settings) -> list[str]:
    """What ``rada check`` prints about Jitsi and e-mail (never raises, never prints secrets)."""
    env = dict(os.environ)
    generated = settings.data_dir / "jitsi-app-secret"
    app_key_state = "set"
    if not env.get("RADA_JITSI_APP_SECRET"):
        app_key_state = (
            "generated into the data folder" if generated.exists() else "generated on serve"
        )
        env["RADA_JITSI_APP_SECRET"] = "x" * 32  # only to validate the rest of the settings
    try:
        jitsi = JitsiSettings.from_env(env)
    except (SettingsError, ValueError) as exc:
        return [f"jitsi: FAILED: {exc}"]
    lines = [
        f"jitsi: https://{jitsi.domain} (XMPP {jitsi.xmpp_domain}), tokens {jitsi.algorithm} "
        f"iss={jitsi.app_id} aud={jitsi.accepted_audiences[0]}, app secret {app_key_state}",
        "jitsi presence webhooks: "
        + (
            f"accepted at {jitsi.events_prefix}/events/…"
            if jitsi.event_secret
            else "REFUSED (set RADA_JITSI_EVENT_SECRET)"
        ),
    ]
    try:
        smtp = SmtpSettings.from_env(os.environ)
    except (SettingsError, ValueError) as exc:
        return [*lines, f"e-mail: FAILED: {exc}"]
    if smtp.configured:
        lines.append(f"e-mail: {smtp.host}:{smtp.port} ({smtp.security}), from {smtp.sender}")
    else:
        lines.append("e-mail: no RADA_SMTP_HOST: convening notices stay queued")
    return lines
