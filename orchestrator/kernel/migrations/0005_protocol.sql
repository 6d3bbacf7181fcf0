-- protocol (issue 6): detached qualified signatures (.p7s) made outside rada and uploaded at
-- signing (R19), kept with their SHA-256 (which the journal's protocol_signed names).
CREATE TABLE protocol_signatures (
    session_id      uuid NOT NULL REFERENCES sessions (id),
    participant_id  uuid NOT NULL,
    protocol_sha256 text NOT NULL CHECK (protocol_sha256 ~ '^[0-9a-f]{64}$'),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size            integer NOT NULL CHECK (size > 0),
    content         bytea NOT NULL,
    uploaded_at     timestamptz NOT NULL,
    CONSTRAINT protocol_signatures_once PRIMARY KEY (session_id, participant_id, protocol_sha256)
);
