"""Before the sitting (P1, S1, S2): the session plan, expected attendance, the presiding script."""
