-- rada restream (issue 17, item 3): where a session's program is pushed besides the recording
-- (YouTube Live, Facebook Live, the council's own server), off unless the administrator lists
-- destinations, and the last state the recording process reported for each. The URL holds the
-- platform's stream key: it is read only by the recorder, never answered by the API.

CREATE TABLE restream_destinations (
    session_id  uuid NOT NULL REFERENCES sessions (id),
    position    smallint NOT NULL CHECK (position BETWEEN 0 AND 9),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    url         text NOT NULL CHECK (url ~ '^rtmps?://' AND length(url) <= 2000),
    state       text NOT NULL DEFAULT 'idle'
                CHECK (state IN ('idle', 'connecting', 'streaming', 'retrying', 'stopped')),
    attempts    integer NOT NULL DEFAULT 0,
    failures    integer NOT NULL DEFAULT 0,
    last_error  text,
    updated_at  timestamptz,
    PRIMARY KEY (session_id, position)
);
