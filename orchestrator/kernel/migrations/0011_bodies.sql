-- Bodies that meet remotely (E1–E8): a council has its executive committee beside itself. The
-- council's own composition stays in councils.total_composition (R7); each other body has a row
-- here with its total composition (E4: the committee's, the mayor included).
CREATE TABLE bodies (
    council_id        uuid NOT NULL REFERENCES councils (id),
    kind              text NOT NULL CHECK (kind IN ('executive_committee')),
    total_composition integer NOT NULL CHECK (total_composition BETWEEN 1 AND 1000),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (council_id, kind)
);

-- Each body has its own roster (E3, E6: the e-mail and phone a member gave personally); the mayor
-- and the council secretary are on both, so an e-mail is unique within a body.
ALTER TABLE members
    ADD COLUMN body text NOT NULL DEFAULT 'council'
        CHECK (body IN ('council', 'executive_committee')),
    DROP CONSTRAINT members_kind_check,
    ADD CONSTRAINT members_kind_check CHECK (kind IN (
        'mayor', 'deputy', 'secretary',
        'first_deputy_mayor', 'deputy_mayor', 'member', 'general_department'));
DROP INDEX members_council_email;
CREATE UNIQUE INDEX members_council_body_email ON members (council_id, body, lower(email));

-- A session is the sitting of one body; the council's sessions and the committee's meetings are
-- numbered apart.
ALTER TABLE sessions
    ADD COLUMN body text NOT NULL DEFAULT 'council'
        CHECK (body IN ('council', 'executive_committee')),
    DROP CONSTRAINT sessions_council_number,
    ADD CONSTRAINT sessions_council_number UNIQUE (council_id, body, number);

ALTER TABLE participants
    DROP CONSTRAINT participants_kind_check,
    ADD CONSTRAINT participants_kind_check CHECK (kind IN (
        'mayor', 'deputy', 'secretary', 'guest',
        'first_deputy_mayor', 'deputy_mayor', 'member', 'general_department'));
