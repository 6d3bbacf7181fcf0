-- rada foundation: councils, rosters, sessions, participants, documents, the journal, notices.

CREATE TABLE councils (
    id                uuid PRIMARY KEY,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    convocation       integer NOT NULL CHECK (convocation BETWEEN 1 AND 100),
    -- R7: the council's legal number of deputies (not those present)
    total_composition integer NOT NULL CHECK (total_composition BETWEEN 1 AND 1000),
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
    id          uuid PRIMARY KEY,
    council_id  uuid NOT NULL REFERENCES councils (id),
    surname     text NOT NULL,
    given_name  text NOT NULL,
    patronymic  text NOT NULL DEFAULT '',
    kind        text NOT NULL CHECK (kind IN ('mayor', 'deputy', 'secretary')),
    email       text NOT NULL,
    phone       text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX members_council_email ON members (council_id, lower(email));

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    council_id   uuid NOT NULL REFERENCES councils (id),
    title        text NOT NULL,
    number       integer NOT NULL,
    starts_at    timestamptz NOT NULL,
    planned_end  timestamptz NOT NULL,
    room         text NOT NULL UNIQUE,
    status       text NOT NULL DEFAULT 'convened',
    announced_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_council_number UNIQUE (council_id, number)
);

-- R6, R12: the frozen participant list with contact data (never in the journal)
CREATE TABLE participants (
    session_id     uuid NOT NULL REFERENCES sessions (id),
    participant_id uuid NOT NULL,
    member_id      uuid,
    surname        text NOT NULL,
    given_name     text NOT NULL,
    patronymic     text NOT NULL DEFAULT '',
    kind           text NOT NULL CHECK (kind IN ('mayor', 'deputy', 'secretary', 'guest')),
    role           text NOT NULL CHECK (role IN ('chair', 'secretary', 'deputy', 'guest')),
    email          text NOT NULL,
    phone          text NOT NULL,
    organisation   text NOT NULL DEFAULT '',
    removed        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (session_id, participant_id)
);
CREATE UNIQUE INDEX participants_session_email ON participants (session_id, lower(email))
    WHERE NOT removed;

CREATE TABLE documents (
    id           uuid PRIMARY KEY,
    session_id   uuid NOT NULL REFERENCES sessions (id),
    item         integer NOT NULL,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    sha256       text NOT NULL,
    content      bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_session ON documents (session_id, item);

-- DESIGN principle 1: the journal is the truth
CREATE TABLE journal (
    session_id uuid NOT NULL REFERENCES sessions (id),
    seq        integer NOT NULL CHECK (seq >= 1),
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    type       text NOT NULL,
    payload    jsonb NOT NULL,
    prev_hash  text NOT NULL,
    hash       text NOT NULL,
    CONSTRAINT journal_session_seq PRIMARY KEY (session_id, seq)
);

CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER journal_no_update BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();

-- R4: one convening notice per participant, queued at announcement, sent by the mailer
CREATE TABLE notices (
    id             bigserial PRIMARY KEY,
    session_id     uuid NOT NULL REFERENCES sessions (id),
    participant_id uuid NOT NULL,
    kind           text NOT NULL DEFAULT 'convening',
    status         text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text,
    queued_at      timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    CONSTRAINT notices_once UNIQUE (session_id, participant_id, kind)
);

-- Lock a session's journal for appending and read its head, in one round trip. A volatile
-- plpgsql function takes a fresh snapshot per statement (READ COMMITTED), so the head is read
-- after the lock is granted and always sees the previous writer's committed event.
CREATE FUNCTION journal_lock_head(sid uuid, OUT present boolean, OUT seq integer, OUT hash text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM sessions WHERE id = sid FOR NO KEY UPDATE;
    present := FOUND;
    IF present THEN
        SELECT j.seq, j.hash INTO seq, hash FROM journal j
        WHERE j.session_id = sid ORDER BY j.seq DESC LIMIT 1;
    END IF;
END $$;
