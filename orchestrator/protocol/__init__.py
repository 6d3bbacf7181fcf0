"""After the session: signing and publishing the protocol (R18, R19) and the public archive
(R9, R20): pages, media with byte ranges, feeds.

- ``service.py``: finalise, sign, upload a ``.p7s``, publish; build the archive folder
  (layout in :mod:`orchestrator.archive`); read what the public pages show.
- ``store.py``: the SQL (signatures, the session list with its journal milestones).
- ``feeds.py``: Atom and iCalendar feeds of announced sessions (pure).
- ``api.py``: the JSON endpoints for the chair, the secretary and deputies.
- ``pages.py``: the public archive in Ukrainian, no sign-in.

Wire with ``orchestrator.publication.api.setup(app)`` (it also adds the pages).
"""
