"""Plugin discovery: declared through entry points, imported only when used.

Each distribution names, in the ``watchfloor.manifests`` entry-point group, a tuple of
``PluginManifest`` objects kept in a light module. Reading the manifests tells the console every
plugin's id, kind, title and parameters without importing the plugin's code (which may pull in
torch or spaCy). A broken manifest or plugin is reported and skipped; it never stops the console.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

log = logging.getLogger(__name__)

MANIFEST_GROUP = "watchfloor.manifests"
OWN_DISTRIBUTION = "watchfloor"


@dataclass(frozen=True, slots=True)
class PluginManifest:
    """``target`` is ``module:attr``; ``params`` is a JSON schema for the plugin's parameters."""

    id: str
    kind: str
    title: Any
    target: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PluginProblem:
    plugin: str
    message: str


class PluginRegistry:
    def __init__(self, manifests: Iterable[PluginManifest] = ()) -> None:
        self._manifests: dict[str, PluginManifest] = {}
        self._loaded: dict[str, Any] = {}
        self.problems: list[PluginProblem] = []
        for manifest in manifests:
            self._add(manifest, origin="built-in")

    @classmethod
    def discover(cls, group: str = MANIFEST_GROUP) -> PluginRegistry:
        registry = cls()
        # Built-ins first: a third-party plugin must never shadow one of ours by its id.
        entry_points = sorted(
            metadata.entry_points(group=group),
            key=lambda ep: (ep.dist is None or ep.dist.name != OWN_DISTRIBUTION, ep.name),
        )
        for entry_point in entry_points:
            try:
                declared = entry_point.load()
                for manifest in declared:
                    if not isinstance(manifest, PluginManifest):
                        raise TypeError(f"{manifest!r} is not a PluginManifest")
                    registry._add(manifest, origin=entry_point.value)
            except Exception as exc:
                registry._report(entry_point.name, f"manifest {entry_point.value}: {exc}")
        return registry

    def manifests(self, kind: str | None = None) -> list[PluginManifest]:
        return [m for m in self._manifests.values() if kind is None or m.kind == kind]

    def get(self, plugin_id: str) -> PluginManifest | None:
        return self._manifests.get(plugin_id)

    def load(self, plugin_id: str) -> Any | None:
        """Imports the plugin's target on first use; ``None`` (and a problem) if that fails."""
        if plugin_id in self._loaded:
            return self._loaded[plugin_id]
        manifest = self._manifests.get(plugin_id)
        if manifest is None:
            self._report(plugin_id, "no plugin with this id is installed")
            return None
        module_name, _, attr = manifest.target.partition(":")
        try:
            target = getattr(importlib.import_module(module_name), attr)
        except Exception as exc:
            self._report(plugin_id, f"cannot load {manifest.target}: {exc}")
            return None
        self._loaded[plugin_id] = target
        return target

    def _add(self, manifest: PluginManifest, origin: str) -> None:
        if manifest.id in self._manifests:
            self._report(manifest.id, f"declared twice (again by {origin}); keeping the first")
            return
        self._manifests[manifest.id] = manifest

    def _report(self, plugin: str, message: str) -> None:
        log.error("Plugin %s: %s", plugin, message)
        self.problems.append(PluginProblem(plugin, message))
