-- conduct (issue 4): invariants of the roll call, held by the database as well as the fold.

-- R16: one answer (or skip, не голосував) per voter per vote, whatever the clients race.
CREATE UNIQUE INDEX journal_one_answer ON journal
    (session_id, (payload ->> 'vote_id'), (payload ->> 'participant_id'))
    WHERE type IN ('ballot_recorded', 'deputy_skipped');

-- each vote (item text or amendment) is opened once
CREATE UNIQUE INDEX journal_one_vote ON journal (session_id, (payload ->> 'vote_id'))
    WHERE type = 'vote_opened';

