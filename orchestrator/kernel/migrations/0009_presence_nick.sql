-- The occupant's MUC nick: the resource of its occupant JID as Prosody's event_sync reports it.
-- Jitsi's mod_muc_kick_participant names the occupant to remove from the call by it.
ALTER TABLE presence ADD COLUMN nick text;
