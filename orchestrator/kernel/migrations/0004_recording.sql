-- rada recording (issue 5): each session's ingest stream key, and the recorder's state for
-- operators (rada check, the chair console). Parts and their hashes live in the journal.

-- The RTMP stream key of a session's ingest. Given to Jibri on every (re)start, so it is kept
-- as is; it only opens the session's ingest port, never a person's session.
CREATE TABLE recording_keys (
    session_id uuid PRIMARY KEY REFERENCES sessions (id),
    stream_key text NOT NULL CHECK (length(stream_key) >= 16),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Written every few seconds by the rada process that holds the session's recorder (claimed with
-- pg_try_advisory_lock); a stale updated_at means that process is gone.
CREATE TABLE recording_status (
    session_id   uuid PRIMARY KEY REFERENCES sessions (id),
    instance     text NOT NULL,
    ingest_port  integer,
    receiving    boolean NOT NULL,
    lost_since   timestamptz,
    part         integer,
    parts        integer NOT NULL DEFAULT 0,
    bitrate_kbps integer,
    updated_at   timestamptz NOT NULL
);
