-- rada identity: personal links, browser sign-ins, Jitsi presence, identification, rate limits.
-- Only digests of secrets are stored (a leaked database opens no session).

-- R4, R12: one current personal link per participant and session, sent only by e-mail
CREATE TABLE personal_links (
    token_sha256   bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
    session_id     uuid NOT NULL,
    participant_id uuid NOT NULL,
    purpose        text NOT NULL DEFAULT 'join' CHECK (purpose IN ('join')),
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoke_reason  text,
    first_used_at  timestamptz,
    last_used_at   timestamptz,
    uses           integer NOT NULL DEFAULT 0,
    FOREIGN KEY (session_id, participant_id) REFERENCES participants (session_id, participant_id)
);
CREATE UNIQUE INDEX personal_links_current ON personal_links (session_id, participant_id)
    WHERE revoked_at IS NULL;

-- A browser signed in through a personal link: the cookie value's digest and its CSRF secret
CREATE TABLE signins (
    cookie_sha256  bytea PRIMARY KEY CHECK (length(cookie_sha256) = 32),
    link_sha256    bytea NOT NULL REFERENCES personal_links (token_sha256) ON DELETE CASCADE,
    session_id     uuid NOT NULL,
    participant_id uuid NOT NULL,
    csrf_token     text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    FOREIGN KEY (session_id, participant_id) REFERENCES participants (session_id, participant_id)
);
CREATE INDEX signins_participant ON signins (session_id, participant_id);

-- Who is in the Jitsi call, from Prosody's event_sync webhooks. participant_id is NULL for an
-- occupant whose id matches nobody on the list (shown to the chair, never counted).
CREATE TABLE presence (
    id             bigserial PRIMARY KEY,
    session_id     uuid NOT NULL REFERENCES sessions (id),
    occupant_id    text NOT NULL,
    participant_id uuid,
    name           text NOT NULL DEFAULT '',
    joined_at      timestamptz NOT NULL,
    left_at        timestamptz
);
CREATE INDEX presence_open ON presence (session_id, occupant_id) WHERE left_at IS NULL;

-- Wrong personal links per client address, in fixed windows
CREATE TABLE link_failures (
    address      text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    failures     integer NOT NULL
);

-- The mailer claims queued notices; a claim older than its lease is taken over after a crash
ALTER TABLE notices ADD COLUMN claimed_at timestamptz;
