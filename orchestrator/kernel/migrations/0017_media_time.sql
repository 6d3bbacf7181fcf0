-- Media time (R9, R10): an event appended while its session is being recorded carries where
-- it falls on the recording (the part and the position in it), so chapter and protocol offsets
-- do not move when a wall clock steps. The recorder samples its media position into
-- recording_status with the database's own clock; an append reads that sample and adds the
-- database-clock time since it (at most a few seconds), in the same round trip as the head.
ALTER TABLE journal ADD COLUMN media_part integer, ADD COLUMN media_ms bigint;

ALTER TABLE recording_status
    ADD COLUMN media_ms bigint,
    ADD COLUMN media_sampled_at timestamptz;

DROP FUNCTION journal_lock_head(uuid);

CREATE FUNCTION journal_lock_head(
    sid uuid, OUT present boolean, OUT seq integer, OUT hash text, OUT at timestamptz,
    OUT media_part integer, OUT media_ms bigint
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM sessions WHERE id = sid FOR NO KEY UPDATE;
    present := FOUND;
    IF present THEN
        SELECT j.seq, j.hash, j.at INTO seq, hash, at FROM journal j
        WHERE j.session_id = sid ORDER BY j.seq DESC LIMIT 1;
        -- a sample older than 5 s means media is not flowing: no position (wall time applies)
        SELECT s.part,
               s.media_ms + floor(1000 * extract(epoch FROM clock_timestamp() - s.media_sampled_at))::bigint
          INTO media_part, media_ms
          FROM recording_status s
         WHERE s.session_id = sid AND s.receiving AND s.part IS NOT NULL
           AND s.media_ms IS NOT NULL
           AND s.media_sampled_at BETWEEN clock_timestamp() - interval '5 seconds' AND clock_timestamp();
    END IF;
END $$;
