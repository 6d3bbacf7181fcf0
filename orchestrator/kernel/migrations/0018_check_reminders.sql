-- issue 16, the technical check (P1): a participant who has not passed «Перевірка зв’язку» is
-- reminded once. The row is claimed before the mail is sent (and removed if it fails), so two
-- offices pressing «remind» at once send one letter.
CREATE TABLE check_reminders (
    session_id     uuid NOT NULL REFERENCES sessions (id),
    participant_id uuid NOT NULL,
    claimed_at     timestamptz NOT NULL,
    sent_at        timestamptz,
    PRIMARY KEY (session_id, participant_id)
);

-- issue 16, the plan in the published archive (P1, P2): the plan's PDF as it stood when the
-- protocol was published; protocol_published names its SHA-256, so `rada verify` checks it.
CREATE TABLE published_plans (
    session_id uuid PRIMARY KEY REFERENCES sessions (id),
    content    bytea NOT NULL,
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$')
);
