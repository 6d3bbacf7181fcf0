"""What ``/healthz`` reports: each part of the process says whether it is up, on its own.

A component (the database, the journal listener, the recorder supervisor…) registers a check
when the app is assembled; ``/healthz`` runs every check at once, each with a time limit, and
answers 503 when a *required* one is down. The kernel knows no feature: features register their
own checks in their ``setup`` (the recorder supervisor is required only when recording is on
and ``RADA_RECORDING_REQUIRED``: without it no vote can be taken, R9).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

CHECK_SECONDS = 3.0  # a check that takes longer is reported down


@dataclass(frozen=True, slots=True)
class Health:
    """One component's answer: up or down, with JSON-able details (never a secret)."""

    up: bool
    detail: Mapping[str, Any] = field(default_factory=dict)


Check = Callable[[], Awaitable[Health]]


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    check: Check
    required: bool


class HealthRegistry:
    """The components of this process and their checks, in registration order."""

    def __init__(self) -> None:
        self._components: dict[str, Component] = {}

    def register(self, name: str, check: Check, *, required: bool) -> None:
        if name in self._components:
            raise ValueError(f"health component {name!r} is registered twice")
        self._components[name] = Component(name, check, required)

    @property
    def names(self) -> list[str]:
        return list(self._components)

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """Whether every required component is up, and each component's answer (a check that
        takes longer than ``CHECK_SECONDS`` is down)."""
        components = list(self._components.values())
        answers = await asyncio.gather(*(_run(c.check) for c in components))
        body: dict[str, Any] = {}
        healthy = True
        for component, health in zip(components, answers, strict=True):
            body[component.name] = {
                "status": "up" if health.up else "down",
                "required": component.required,
                **health.detail,
            }
            healthy = healthy and (health.up or not component.required)
        return healthy, body


async def _run(check: Check) -> Health:
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            return await check()
    except TimeoutError:
        return Health(False, {"error": f"no answer within {CHECK_SECONDS:g} s"})
    except Exception as exc:  # a failing check is "down", with the kind of failure shown
        return Health(False, {"error": type(exc).__name__})
