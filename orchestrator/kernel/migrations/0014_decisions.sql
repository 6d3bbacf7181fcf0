-- issue 16, after the sitting (S3, S4): the register of decisions, their signatures and their
-- distribution to executors.

-- S3: the council's numbering scheme for one convocation, e.g. '{seq}-{session_roman}-{convocation_roman}'
CREATE TABLE decision_numbering (
    council_id   uuid NOT NULL REFERENCES councils (id),
    convocation  integer NOT NULL,
    pattern      text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 100),
    PRIMARY KEY (council_id, convocation)
);

CREATE TABLE decisions (
    id               uuid PRIMARY KEY,
    session_id       uuid NOT NULL REFERENCES sessions (id),
    council_id       uuid NOT NULL REFERENCES councils (id),
    convocation      integer NOT NULL,
    item             integer NOT NULL CHECK (item >= 0),
    seq              integer NOT NULL CHECK (seq >= 1),  -- within the convocation
    number           text NOT NULL,
    title            text NOT NULL,
    filename         text NOT NULL,
    content_type     text NOT NULL,
    content          bytea NOT NULL,
    sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    registered_at    timestamptz NOT NULL,
    signed_at        timestamptz,
    signed_by        text,
    signature_sha256 text CHECK (signature_sha256 ~ '^[0-9a-f]{64}$'),
    signature        bytea,
    CONSTRAINT decisions_item_once UNIQUE (session_id, item),
    CONSTRAINT decisions_seq_once UNIQUE (council_id, convocation, seq),
    CONSTRAINT decisions_number_once UNIQUE (council_id, convocation, number)
);

-- S4: the author's distribution list and each executor's delivery (with retries and bounces)
CREATE TABLE decision_deliveries (
    decision_id     uuid NOT NULL REFERENCES decisions (id),
    position        integer NOT NULL CHECK (position >= 1),
    name            text NOT NULL,
    email           text NOT NULL,
    status          text NOT NULL DEFAULT 'listed'
                    CHECK (status IN ('listed', 'queued', 'retrying', 'sent', 'bounced')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    next_attempt_at timestamptz,
    sent_at         timestamptz,
    PRIMARY KEY (decision_id, position)
);
CREATE INDEX decision_deliveries_due ON decision_deliveries (next_attempt_at)
    WHERE status IN ('queued', 'retrying');
