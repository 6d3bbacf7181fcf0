"""After the session: the protocol folded from the journal, signing and publishing it (R18, R19),
and the public archive (R9, R20).

- ``model.py``: the protocol as a frozen model folded from the journal alone (pure).
- ``render.py``: JSON, HTML, PDF and WebVTT chapters of that model; ``opendata.py``: the
  national roll-call open-data files; ``feeds.py``: Atom and iCalendar (all pure).
- ``archive.py``: the published folder of one session (what ``rada verify`` checks);
  ``verify.py``: ``rada verify``.
- ``store.py``: the SQL (signatures, the session list with its journal milestones).
- ``service.py``: finalise, sign, upload a ``.p7s``, publish; keep the published folder in step
  with the journal; read what the public pages show.
- ``api.py``: the JSON endpoints for the chair, the secretary and deputies; ``setup(app)``.
- ``pages.py``: the public archive pages in Ukrainian, no sign-in.
"""
