-- Prosody event_sync component (jitsi-contrib) pointed at rada. Rendered with
--   envsubst '${XMPP_DOMAIN} ${EVENT_SYNC_API_PREFIX} ${EVENT_SYNC_SECRET}' \
--     < deploy/prosody/event_sync.cfg.lua.tpl > ~/.jitsi-meet-cfg/prosody/config/conf.d/event_sync.cfg.lua
-- (docker-jitsi-meet's prosody.cfg.lua includes conf.d/*.cfg.lua). The occupant ids rada
-- receives are the context.user.id of the tokens it issued; rada trusts no other id.
Component "event_sync.${XMPP_DOMAIN}" "event_sync_component"
    muc_component = "muc.${XMPP_DOMAIN}"
    breakout_component = "breakout.${XMPP_DOMAIN}"
    api_prefix = "${EVENT_SYNC_API_PREFIX}"
    api_headers = {
        ["Authorization"] = "Bearer ${EVENT_SYNC_SECRET}";
    }
