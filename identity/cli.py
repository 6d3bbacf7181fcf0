"""Identity's lines in ``rada check``: what rada will tell Jitsi and the mail relay."""

from __future__ import annotations

from orchestrator.kernel.settings import Settings
from orchestrator.kernel.settings.first_start import JITSI_SECRET_FILE


def check_lines(settings: Settings) -> list[str]:
    """What ``rada check`` prints about Jitsi and e-mail (never raises, never prints secrets)."""
    jitsi, smtp = settings.jitsi, settings.smtp
    app_key_state = "set"
    if jitsi.secret_pending:
        generated = settings.data_dir / JITSI_SECRET_FILE
        app_key_state = (
            "generated into the data folder" if generated.exists() else "generated on serve"
        )
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
    if smtp.configured:
        lines.append(f"e-mail: {smtp.host}:{smtp.port} ({smtp.security}), from {smtp.sender}")
    else:
        lines.append("e-mail: no RADA_SMTP_HOST: convening notices stay queued")
    return lines
