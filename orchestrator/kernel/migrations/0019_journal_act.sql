-- An act in one or two round trips (issue 14).
--
-- journal_since(sid, after, lock): the journal's head, the recorder's media position now
-- (as journal_lock_head computes it) and the events after the seq the caller's cached state
-- holds. With lock, the session row is locked first (the caller's transaction then appends
-- after this head); the events are read after the lock (a plpgsql statement takes its own
-- snapshot). Rows: the events with seq >= least(after + 1, head seq), in order (the head
-- itself always, so the caller knows its hash and time); an empty journal gives one row with a
-- null seq. Every row carries present (the session exists) and the media position.
CREATE FUNCTION journal_since(sid uuid, after integer, lock boolean)
RETURNS TABLE (
    present boolean, now_part integer, now_ms bigint,
    seq integer, at timestamptz, actor text, type text, payload jsonb, prev_hash text,
    hash text, media_part integer, media_ms bigint
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    found_session boolean;
    head integer;
    part integer;
    ms bigint;
BEGIN
    IF lock THEN
        SELECT h.present, h.seq, h.media_part, h.media_ms INTO found_session, head, part, ms
          FROM journal_lock_head(sid) h;
    ELSE
        found_session := EXISTS (SELECT 1 FROM sessions s WHERE s.id = sid);
        SELECT j.seq INTO head FROM journal j
         WHERE j.session_id = sid ORDER BY j.seq DESC LIMIT 1;
        SELECT s.part,
               s.media_ms + floor(1000 * extract(epoch FROM clock_timestamp() - s.media_sampled_at))::bigint
          INTO part, ms
          FROM recording_status s
         WHERE s.session_id = sid AND s.receiving AND s.part IS NOT NULL
           AND s.media_ms IS NOT NULL
           AND s.media_sampled_at BETWEEN clock_timestamp() - interval '5 seconds' AND clock_timestamp();
    END IF;
    IF NOT found_session OR head IS NULL THEN
        RETURN QUERY SELECT found_session, part, ms, NULL::integer, NULL::timestamptz,
            NULL::text, NULL::text, NULL::jsonb, NULL::text, NULL::text, NULL::integer,
            NULL::bigint;
        RETURN;
    END IF;
    RETURN QUERY
        SELECT true, part, ms, j.seq, j.at, j.actor, j.type, j.payload, j.prev_hash, j.hash,
               j.media_part, j.media_ms
          FROM journal j
         WHERE j.session_id = sid AND j.seq >= least(after + 1, head)
         ORDER BY j.seq;
END $$;

-- journal_append_after(sid, expected, …): append sealed events (seq expected + 1, …) only if
-- the journal's head is still expected, all in one statement: lock the session row, check the
-- head, insert, notify rada_journal "<sid>:<seq>" for each, and set the session's status when
-- given. False (nothing written) if another writer appended meanwhile or there is no such
-- session: the caller then takes the lock and decides again (journal_since with lock).
CREATE FUNCTION journal_append_after(
    sid uuid, expected integer, ats timestamptz[], actors text[], types text[],
    payloads text[], prev_hashes text[], hashes text[], part integer, ms bigint,
    new_status text
)
RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head integer;
BEGIN
    PERFORM 1 FROM sessions s WHERE s.id = sid FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    SELECT j.seq INTO head FROM journal j WHERE j.session_id = sid ORDER BY j.seq DESC LIMIT 1;
    IF coalesce(head, 0) <> expected THEN
        RETURN false;
    END IF;
    INSERT INTO journal (session_id, seq, at, actor, type, payload, prev_hash, hash,
                         media_part, media_ms)
    SELECT sid, expected + i, ats[i], actors[i], types[i], payloads[i]::jsonb,
           prev_hashes[i], hashes[i], part, ms
      FROM generate_subscripts(hashes, 1) AS i ORDER BY i;
    PERFORM pg_notify('rada_journal', sid::text || ':' || (expected + i)::text)
       FROM generate_subscripts(hashes, 1) AS i ORDER BY i;
    IF new_status IS NOT NULL THEN
        UPDATE sessions SET status = new_status WHERE id = sid;
    END IF;
    RETURN true;
END $$;
