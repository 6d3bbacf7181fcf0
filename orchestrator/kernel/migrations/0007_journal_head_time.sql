-- The journal's head also gives its time, so that an append is never earlier than the event
-- before it in the same session (a wall clock stepped back must not reorder the journal).
-- OUT parameters change, so the function is dropped and created again (same lock order).
DROP FUNCTION journal_lock_head(uuid);

CREATE FUNCTION journal_lock_head(
    sid uuid, OUT present boolean, OUT seq integer, OUT hash text, OUT at timestamptz
)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM sessions WHERE id = sid FOR NO KEY UPDATE;
    present := FOUND;
    IF present THEN
        SELECT j.seq, j.hash, j.at INTO seq, hash, at FROM journal j
        WHERE j.session_id = sid ORDER BY j.seq DESC LIMIT 1;
    END IF;
END $$;
