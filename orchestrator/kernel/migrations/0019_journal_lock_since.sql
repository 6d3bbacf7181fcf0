-- One round trip to begin an act (issue 14): lock the session row, read the journal's head
-- and the recorder's media position (journal_lock_head), and return the events after the
-- seq the caller's cached state holds, read after the lock (a plpgsql statement takes its own
-- snapshot), so the caller folds exactly up to the head it will append after.
-- Rows: the events with seq >= least(after + 1, head seq), in order (the head itself always,
-- so the caller knows its hash and time); an empty journal gives one row with a null seq.
-- Every row carries present (the session exists) and the media position now.
CREATE FUNCTION journal_lock_since(sid uuid, after integer)
RETURNS TABLE (
    present boolean, now_part integer, now_ms bigint,
    seq integer, at timestamptz, actor text, type text, payload jsonb, prev_hash text,
    hash text, media_part integer, media_ms bigint
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    h record;
BEGIN
    SELECT * INTO h FROM journal_lock_head(sid);
    IF NOT h.present OR h.seq IS NULL THEN
        RETURN QUERY SELECT h.present, h.media_part, h.media_ms, NULL::integer,
            NULL::timestamptz, NULL::text, NULL::text, NULL::jsonb, NULL::text, NULL::text,
            NULL::integer, NULL::bigint;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT true, h.media_part, h.media_ms, j.seq, j.at, j.actor, j.type, j.payload,
               j.prev_hash, j.hash, j.media_part, j.media_ms
          FROM journal j
         WHERE j.session_id = sid AND j.seq >= least(after + 1, h.seq)
         ORDER BY j.seq;
END $$;
