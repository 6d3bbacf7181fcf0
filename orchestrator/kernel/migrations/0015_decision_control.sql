-- issue 16, control of execution (S5): a decision's executors with their control dates, the
-- executors' reports, and taking the decision off control (journaled).
CREATE TABLE decision_controls (
    decision_id  uuid NOT NULL REFERENCES decisions (id),
    position     integer NOT NULL CHECK (position >= 1),
    executor     text NOT NULL CHECK (length(executor) BETWEEN 1 AND 200),
    due_on       date NOT NULL,  -- the control date, a Kyiv calendar day
    PRIMARY KEY (decision_id, position)
);

CREATE TABLE decision_reports (
    id           uuid PRIMARY KEY,
    decision_id  uuid NOT NULL,
    position     integer NOT NULL,
    filename     text NOT NULL,
    content_type text NOT NULL,
    content      bytea NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    submitted_at timestamptz NOT NULL,
    FOREIGN KEY (decision_id, position) REFERENCES decision_controls (decision_id, position)
);

ALTER TABLE decisions ADD COLUMN off_control_at timestamptz;
