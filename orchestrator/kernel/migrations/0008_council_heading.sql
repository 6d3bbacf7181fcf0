-- The protocol's official heading (R18, R19): the oblast and the place as the council prints
-- them, an optional emblem image, and the council's own article numbers for each rule.
ALTER TABLE councils
    ADD COLUMN oblast    text NOT NULL DEFAULT '' CHECK (length(oblast) <= 200),
    ADD COLUMN place     text NOT NULL DEFAULT '' CHECK (length(place) <= 200),
    ADD COLUMN emblem    bytea CHECK (emblem IS NULL OR length(emblem) <= 65536),
    ADD COLUMN citations jsonb NOT NULL DEFAULT '{}'::jsonb;
