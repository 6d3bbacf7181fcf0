-- An act in one round trip when the process's cached state is current (issue 14), and
-- notices that carry the appended event.
--
-- journal_media_now(sid): the recorder's media position now (part, ms), as journal_lock_head
-- and journal_since compute it: the last sample plus the time since, by the database's clock;
-- none when no sample of the last 5 seconds says media is flowing.
CREATE FUNCTION journal_media_now(sid uuid, OUT part integer, OUT ms bigint)
LANGUAGE sql VOLATILE AS $$
    SELECT s.part,
           greatest(0, s.media_ms
               + floor(1000 * extract(epoch FROM clock_timestamp() - s.media_sampled_at))::bigint)
      FROM recording_status s
     WHERE s.session_id = sid AND s.receiving AND s.part IS NOT NULL
       AND s.media_ms IS NOT NULL
       AND s.media_sampled_at BETWEEN clock_timestamp() - interval '5 seconds' AND clock_timestamp()
$$;

-- journal_append_near(sid, expected, …, part, ms, tolerance_ms, new_status): as
-- journal_append_after, for events sealed without reading the head first: after the state the
-- caller has cached (seq expected) and at its guess of the media position (part, ms; null when
-- it guesses none). They are written only if the head is still expected and the guess is the
-- position now within tolerance_ms (the same part, or none for both): the hash covers the
-- position, so a wrong guess must be sealed again. Answers whether they were written, and the
-- head and the media position now, for the caller's next guess.
CREATE FUNCTION journal_append_near(
    sid uuid, expected integer, ats timestamptz[], actors text[], types text[],
    payloads text[], prev_hashes text[], hashes text[], part integer, ms bigint,
    tolerance_ms integer, new_status text, notices text[],
    OUT appended boolean, OUT head integer, OUT now_part integer, OUT now_ms bigint
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    appended := false;
    PERFORM 1 FROM sessions s WHERE s.id = sid FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT j.seq INTO head FROM journal j WHERE j.session_id = sid ORDER BY j.seq DESC LIMIT 1;
    head := coalesce(head, 0);
    SELECT m.part, m.ms INTO now_part, now_ms FROM journal_media_now(sid) m;
    IF head <> expected OR (part IS NULL) <> (now_part IS NULL)
       OR (part IS NOT NULL AND (part <> now_part OR abs(ms - now_ms) > tolerance_ms)) THEN
        RETURN;
    END IF;
    INSERT INTO journal (session_id, seq, at, actor, type, payload, prev_hash, hash,
                         media_part, media_ms)
    SELECT sid, expected + i, ats[i], actors[i], types[i], payloads[i]::jsonb,
           prev_hashes[i], hashes[i], part, ms
      FROM generate_subscripts(hashes, 1) AS i ORDER BY i;
    PERFORM pg_notify('rada_journal', notices[i]) FROM generate_subscripts(hashes, 1) AS i ORDER BY i;
    IF new_status IS NOT NULL THEN
        UPDATE sessions SET status = new_status WHERE id = sid;
    END IF;
    appended := true;
END $$;

-- journal_append_after (migration 0019) with the notices given by the caller: each
-- "<sid>:<seq>", and the event's JSON after it when it fits NOTIFY's payload.
DROP FUNCTION journal_append_after(
    uuid, integer, timestamptz[], text[], text[], text[], text[], text[], integer, bigint, text
);

CREATE FUNCTION journal_append_after(
    sid uuid, expected integer, ats timestamptz[], actors text[], types text[],
    payloads text[], prev_hashes text[], hashes text[], part integer, ms bigint,
    new_status text, notices text[]
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
    PERFORM pg_notify('rada_journal', notices[i]) FROM generate_subscripts(hashes, 1) AS i ORDER BY i;
    IF new_status IS NOT NULL THEN
        UPDATE sessions SET status = new_status WHERE id = sid;
    END IF;
    RETURN true;
END $$;
