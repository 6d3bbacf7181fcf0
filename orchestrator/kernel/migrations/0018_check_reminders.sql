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
