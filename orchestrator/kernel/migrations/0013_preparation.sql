-- issue 16, before the sitting (P1, S1): the council's plan template, each session's plan
-- (copied from the template when the session is convened), the deputies' expected attendance.

-- P1: the measures as the council edits them (NULL measures: rada's built-in template)
CREATE TABLE plan_templates (
    council_id  uuid PRIMARY KEY REFERENCES councils (id),
    measures    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- the session's plan, frozen at convening from the council's template of that moment
CREATE TABLE session_plans (
    session_id  uuid PRIMARY KEY REFERENCES sessions (id),
    measures    jsonb,  -- NULL: the council had no template; the built-in one applies
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION session_plan_from_template() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO session_plans (session_id, measures)
    VALUES (NEW.id, (SELECT t.measures FROM plan_templates t WHERE t.council_id = NEW.council_id));
    RETURN NEW;
END $$;
CREATE TRIGGER sessions_plan AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION session_plan_from_template();

-- P1 "expected attendance": one answer per participant, the latest kept (the journal has each)
CREATE TABLE attendance (
    session_id     uuid NOT NULL REFERENCES sessions (id),
    participant_id uuid NOT NULL,
    answer         text NOT NULL CHECK (answer IN ('attend', 'absent')),
    reason         text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    answered_at    timestamptz NOT NULL,
    PRIMARY KEY (session_id, participant_id)
);
