-- rada recording (issue 5, item 4): which Jibri serves which session while it records, and the
-- last state its webhooks reported for that session. Jibri's status webhook carries only its
-- jibriId, so this row is how a report finds its session's journal; the last state is kept so
-- the minute-by-minute repeats journal nothing (only a change appends jibri_status).

CREATE TABLE jibri_assignments (
    jibri_id       text PRIMARY KEY CHECK (length(jibri_id) BETWEEN 1 AND 200),
    session_id     uuid NOT NULL REFERENCES sessions (id),
    base_url       text NOT NULL,
    status         text CHECK (status IN ('ON', 'OFF')),  -- NULL until its first report
    failure_reason text,
    assigned_at    timestamptz NOT NULL,
    reported_at    timestamptz
);

CREATE INDEX jibri_assignments_session ON jibri_assignments (session_id);
