"""How a payload class reads and writes its JSON object. Pure: standard library only.

A journal event's hash covers the canonical JSON of its payload (``chain.canonical``), and
published journals never change, so a payload class must give back exactly the object it read:
``cls.from_payload(p).to_payload() == p`` for every payload rada has written. Three things make
that hold for old journals as well as new ones:

- a key the payload lacks takes the field's default and is remembered in ``omitted``, so it is
  left out again when written;
- a key the class does not know is kept in ``extra`` and written back as it was (additive
  fields, e.g. ``jibri_status``'s ``busy_status``);
- values are read as JSON holds them: ``int`` and ``str`` fields are coerced as the folds always
  did (``int(p["item"])``), lists become tuples and nested objects their own payload classes.

A ``null`` where the vocabulary has no null (``title: null``, which no emitter writes) reads as
the field's default and is left out when written.
A key is required when its field has no default; a payload without it raises
:class:`MalformedPayload` (a ``KeyError``, as the folds' ``p["item"]`` did).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

_BOOKKEEPING = frozenset({"omitted", "extra"})
_NO_KEYS: frozenset[str] = frozenset()
_NO_EXTRA: Mapping[str, Any] = types.MappingProxyType({})
_ABSENT = object()


class MalformedPayload(KeyError):
    """A payload lacks a key its event kind requires."""


def _same(value: Any) -> Any:
    return value


def _int(value: Any) -> int:
    return value if type(value) is int else int(value)


def _str(value: Any) -> str:
    return value if type(value) is str else str(value)


def _dump_payload(value: Payload) -> dict[str, Any]:
    return value.to_payload()


@dataclass(frozen=True, slots=True)
class _Key:
    attr: str
    key: str
    required: bool
    load: Callable[[Any], Any]
    dump: Callable[[Any], Any]
    nullable: bool
    plain: type | None  # a value of exactly this type is read as it is (no call to ``load``)


def _codec(hint: Any) -> tuple[Callable[[Any], Any], Callable[[Any], Any], bool]:
    """(load, dump, nullable) for a field's type."""
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(hint) if a is not type(None)]
        nullable = len(args) < len(get_args(hint))
        if len(args) == 1:
            load, dump, _ = _codec(args[0])
            return load, dump, nullable
        return _same, _same, nullable  # e.g. ``int | str``: kept as written
    if origin is tuple:
        load_item, dump_item, _ = _codec(get_args(hint)[0])
        if load_item is _same and dump_item is _same:
            return tuple, list, False
        return (
            lambda v: tuple(load_item(x) for x in v),
            lambda v: [dump_item(x) for x in v],
            False,
        )
    if isinstance(hint, type) and issubclass(hint, Payload):
        return hint.from_payload, _dump_payload, False
    if hint is int:
        return _int, _same, False
    if hint is str:
        return _str, _same, False
    if hint is bool:
        return bool, _same, False
    if hint is Any:
        return _same, _same, True
    raise TypeError(f"no JSON form for {hint!r}")


def _plain(hint: Any) -> type | None:
    """``str``, ``int`` or ``bool`` for a field of that type (or that type or None)."""
    args = [a for a in get_args(hint) if a is not type(None)] or [hint]
    return args[0] if len(args) == 1 and args[0] in (str, int, bool) else None


_KEYS: dict[type[Payload], tuple[_Key, ...]] = {}


def _keys(cls: type[Payload]) -> tuple[_Key, ...]:
    """The JSON keys of a payload class, worked out once from its fields and their types."""
    found = _KEYS.get(cls)
    if found is None:
        hints = get_type_hints(cls)
        found = tuple(
            _Key(
                f.name,
                f.name.removesuffix("_"),  # ``for_`` is the key "for"
                f.default is MISSING and f.default_factory is MISSING,
                *_codec(hints[f.name]),
                _plain(hints[f.name]),
            )
            for f in fields(cls)
            if f.name not in _BOOKKEEPING
        )
        _KEYS[cls] = found
    return found


@dataclass(frozen=True, slots=True)
class Payload:
    """A JSON object of the journal as a frozen value (a payload or a shape nested in one)."""

    omitted: frozenset[str] = field(default=_NO_KEYS, kw_only=True, repr=False)
    """Keys the payload did not have: left out again by :meth:`to_payload`."""
    extra: Mapping[str, Any] = field(default_factory=lambda: _NO_EXTRA, kw_only=True, repr=False)
    """Keys this class does not know, kept as they were."""

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """Read a payload as written; missing optional keys take their defaults."""
        values: dict[str, Any] = {}
        omitted: list[str] = []
        matched = 0
        keys = _keys(cls)
        for k in keys:
            raw = payload.get(k.key, _ABSENT)
            if raw is None:
                matched += 1
                if k.nullable:
                    values[k.attr] = None
                    continue
                raw = _ABSENT
            elif raw is not _ABSENT:
                matched += 1
                values[k.attr] = raw if type(raw) is k.plain else k.load(raw)
                continue
            if k.required:
                raise MalformedPayload(f"{cls.__name__}: no {k.key!r} in the payload")
            omitted.append(k.key)
        if omitted:
            values["omitted"] = frozenset(omitted)
        if matched < len(payload):
            known = {k.key for k in keys}
            values["extra"] = {key: v for key, v in payload.items() if key not in known}
        return cls(**values)

    def to_payload(self) -> dict[str, Any]:
        """The JSON object, exactly as the emitters write it (its canonical form is hashed)."""
        out = {
            k.key: None if (value := getattr(self, k.attr)) is None else k.dump(value)
            for k in _keys(type(self))
            if k.key not in self.omitted
        }
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class EventPayload(Payload):
    """The payload of one kind of journal event; ``TYPE`` is its ``type``."""

    TYPE: ClassVar[str]
