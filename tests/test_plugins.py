"""Plugin discovery through real entry points: distributions installed on a temporary path."""

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from app.plugins import MANIFEST_GROUP, PluginRegistry


def install_distribution(root: Path, name: str, entry_points: str, modules: dict[str, str]) -> None:
    """Writes a minimal installed distribution (dist-info) the way pip would leave one."""
    info = root / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{MANIFEST_GROUP}]\n{entry_points}\n")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    yield root
    importlib.invalidate_caches()
    for module in [m for m in sys.modules if m.startswith("wfplug_")]:
        del sys.modules[module]


def test_builtin_demo_is_discovered_like_any_plugin() -> None:
    registry = PluginRegistry.discover()
    demo = registry.get("demo")
    assert demo is not None and demo.kind == "source"
    assert registry.manifests("source") and not registry.problems


def test_manifests_are_read_without_importing_the_plugin(site: Path) -> None:
    install_distribution(
        site,
        "wfplug-good",
        "good = wfplug_manifest:MANIFESTS",
        {
            "wfplug_manifest": """
                from app.plugins import PluginManifest
                MANIFESTS = (PluginManifest("heavy", "detector", "Heavy", "wfplug_heavy:Heavy"),)
            """,
            "wfplug_heavy": "class Heavy:\n    pass\n",
        },
    )
    registry = PluginRegistry.discover()
    assert registry.get("heavy") is not None
    assert "wfplug_heavy" not in sys.modules
    assert registry.load("heavy").__name__ == "Heavy"
    assert "wfplug_heavy" in sys.modules


def test_broken_plugins_are_reported_never_fatal(site: Path) -> None:
    install_distribution(
        site,
        "wfplug-broken",
        "missing = wfplug_nowhere:MANIFESTS\n"
        "wrongtype = wfplug_wrong:MANIFESTS\n"
        "badtarget = wfplug_badtarget:MANIFESTS",
        {
            "wfplug_wrong": "MANIFESTS = ('not a manifest',)\n",
            "wfplug_badtarget": """
                from app.plugins import PluginManifest
                MANIFESTS = (
                    PluginManifest("crashes", "detector", "Crashes", "wfplug_crash:Thing"),
                    PluginManifest("demo", "source", "Impostor", "wfplug_crash:Thing"),
                )
            """,
            "wfplug_crash": "raise ImportError('needs a GPU driver that is not here')\n",
        },
    )
    registry = PluginRegistry.discover()
    messages = " | ".join(p.message for p in registry.problems)
    assert "wfplug_nowhere" in messages
    assert "not a PluginManifest" in messages
    assert "declared twice" in messages  # an impostor cannot replace a built-in
    assert registry.get("demo").title != "Impostor"
    assert registry.load("crashes") is None
    assert "needs a GPU driver" in registry.problems[-1].message
    assert registry.load("no-such-plugin") is None
