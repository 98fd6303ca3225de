"""The Qt-free core, assembled once: settings, store, hub, ingest, plugins and sources.

The GUI and the headless detector node build exactly this object, so a node next to the cameras
runs the same code as the console on the desk.
"""

from __future__ import annotations

import logging
from typing import Any

from app.alerts.dedup import DedupRules
from app.alerts.fusion import FusionRules
from app.alerts.pipeline import AlertPipeline
from app.alerts.priority import PriorityRules
from app.alerts.repository import AlertRepository
from app.alerts.service import AlertCommand, AlertService, ConnectorRoute
from app.demo.tools import DemoTools
from app.hub import Hub
from app.incidents.messages import SERVICE_COMMANDS as INCIDENT_COMMANDS
from app.incidents.service import IncidentService
from app.ingest import Ingest
from app.map.config import map_config_or_default, site_files
from app.map.zones import DeleteZone, SaveZone, SiteService
from app.messages import HealthState, SourceHealth
from app.plugins import PluginRegistry
from app.replay.messages import ExerciseCommand
from app.replay.service import ExerciseService
from app.replay.site import scenario_map_config
from app.replay.tools import ExerciseConnectors
from app.scenario.loader import load_scenario
from app.scenario.model import ScenarioSpec
from app.security.accounts import DEMO_PASSWORD, demo_accounts_enabled, seed_demo_accounts
from app.security.audit import AuditLog
from app.security.directory import directory_from_settings
from app.security.model import (
    AuditEvent,
    DecideUnmask,
    EndUnmask,
    Outcome,
    PermissionRefused,
    RequestUnmask,
)
from app.security.policy import load_policy
from app.security.retention import RetentionService
from app.security.sealing import Sealer
from app.security.secrets import SecretStore
from app.security.service import SecurityService
from app.security.unmask import UnmaskService
from app.sensors.service import SensorWatch
from app.settings import Settings
from app.shared_room import SharedRoom
from app.social.analysis import analyzer_factory
from app.social.keys import KeyStore
from app.social.privacy import ChainPipeline, PostPseudonymiser
from app.social.watch import SocialWatch
from app.sources import Source, SourceRunner
from app.stats.source import AlertStatsSource
from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.storage.listener import ChangeListener
from app.sync.connector import RestConnector
from app.terminology import default_terminology
from app.timeline.messages import AddBookmark, DeleteBookmark
from app.timeline.service import TimelineService
from app.video.config import demo_video_settings, video_config_or_default
from app.video.messages import MarkDetection, SelectModel, SetFaceBlur
from app.video.models import ModelRegistry
from app.video.service import VideoWatch

log = logging.getLogger(__name__)


class Core:
    def __init__(self, settings: Settings, plugins: PluginRegistry | None = None) -> None:
        self.settings = settings
        # Read first: a broken policy file stops the start before anything is opened.
        policy = load_policy(settings.policy_file or None)
        self.hub = Hub()
        self.engine = create_engine_for(settings.effective_database_url())
        upgrade_schema(self.engine)
        self.store = RecordStore(self.engine)
        # Who works at this desk, and the record of what they do (started first, stopped last).
        self.workstation = settings.effective_workstation()
        self.audit = AuditLog(self.store, self.workstation)
        self.security = SecurityService(
            self.store,
            self.hub,
            policy,
            self.audit,
            self.workstation,
            directory_from_settings(settings.directory),
        )
        # Whether the demo accounts are in use here (the sign-in dialog then names them).
        self.demo_accounts = self._seed_demo_accounts()
        self.terms = default_terminology()
        repository = AlertRepository(self.store)
        alerts = AlertPipeline(repository, self.terms, PriorityRules.load(), DedupRules())
        # Authors are pseudonymised before anything is stored or published (keys outside the DB).
        # Secrets (pseudonym keys, the column key, tool credentials): the OS keyring or an
        # owner-only file, never the database. Handles are kept sealed for approved unmasks.
        self.secrets = SecretStore()
        self.sealer = Sealer(self.secrets)
        self.pseudonym_keys = KeyStore(self.secrets)
        posts = PostPseudonymiser(self.pseudonym_keys, self.store, self.sealer)
        self.ingest = Ingest(self.store, self.hub, ChainPipeline(posts, alerts))
        self.alerts = AlertService(
            repository,
            self.hub,
            self.terms,
            FusionRules.load(),
            settings.flood_threshold,
            self._route,
        )
        self.incidents = IncidentService(self.store, self.hub, self.ingest.accept)
        # Other workstations' changes to a shared PostgreSQL database (started in start()).
        self.listener: ChangeListener | None = None
        self.timeline = TimelineService(self.store, self.hub, self.terms)
        # A scenario given at start (--scenario) is loaded now: its site layers are the map's.
        self.scenario: ScenarioSpec | None = _load_scenario(settings.scenario)
        self.map_config = scenario_map_config(
            map_config_or_default(settings.map, self._plays_demo()), self.scenario
        )
        self.sites = SiteService(self.store, self.ingest, self.hub, site_files(self.map_config))
        self.sensor_watch = SensorWatch(self.store, self.ingest, self.hub, terms=self.terms)
        self.stats = AlertStatsSource(self.store)
        self.social_watch = SocialWatch(
            self.store,
            self.ingest,
            self.hub,
            self.terms,
            analyzer_factory(site_files(self.map_config)),
        )
        self.plugins = plugins if plugins is not None else PluginRegistry.discover()
        self.video = VideoWatch(
            self.ingest,
            self.hub,
            self.terms,
            video_config_or_default(
                settings.video or (demo_video_settings() if self._plays_demo() else {})
            ),
            self.plugins,
            ModelRegistry(),
        )
        # Faces and authors shown for a stated purpose, for a time, after a second approval.
        self.unmask = UnmaskService(
            self.store,
            self.hub,
            self.audit,
            self.security,
            self.security.policy.unmask,
            self.video.submit,  # past the core's guard: the grant is the permission
            self.workstation,
            sealer=self.sealer,
            known_camera=lambda camera: camera in self.video.cameras,
        )
        # Old records purged on a schedule, except what open incidents hold; audited.
        self.retention = RetentionService(
            self.store,
            self.audit,
            settings.retention_days,
            settings.retention_interval_h,
            self.workstation,
            snapshots=self.video.snapshots,
        )
        self.runner = SourceRunner(self.ingest, self.hub)
        self.sources: list[Source] = []
        self.demo_tools: DemoTools | None = None
        self.exercise = ExerciseService(
            self.store,
            self.hub,
            ExerciseConnectors(self.store, self.ingest, self.hub, self.sources, self._build_source),
            default_speed=settings.demo_speed,
            before_start=self._stop_demo,
        )

    def _plays_demo(self) -> bool:
        return self.settings.demo and not self.settings.sources and not self.settings.scenario

    def _seed_demo_accounts(self) -> bool:
        """One demo account per role on a desk's own fresh database, never a shared one.
        True when demo accounts are in use: seeded now, or one of them still enabled."""
        if self.settings.database_url or self.engine.dialect.name != "sqlite":
            return False
        if seed_demo_accounts(self.security.accounts):
            log.warning(
                "No accounts yet: demo accounts added (operator, supervisor, commander, "
                "trainer, analyst, admin, viewer), password %r; add real ones with "
                "'main.py users add' and disable these",
                DEMO_PASSWORD,
            )
            return True
        return demo_accounts_enabled(self.security.accounts)

    def submit(self, command: object) -> None:
        """Checks the signed-in person may give ``command`` (a refusal is published as
        ``PermissionRefused``), puts it on the audit record, and hands it to the service that
        owns it; returns at once."""
        need, refusal = self.security.check(command)
        if need is None:
            raise TypeError(f"no service takes {type(command).__name__} commands")
        if refusal is not None:
            self.security.audit_command(command, refusal)
            self.hub.publish(PermissionRefused(command, refusal.message))
            return
        self.security.audit_command(command)
        if isinstance(command, RequestUnmask | DecideUnmask | EndUnmask):
            self.unmask.submit(command)  # it records each step itself
        elif isinstance(command, AlertCommand):
            self.alerts.submit(command)
        elif isinstance(command, INCIDENT_COMMANDS):
            self.incidents.submit(command)
        elif isinstance(command, SaveZone | DeleteZone):
            self.sites.submit(command)
        elif isinstance(command, MarkDetection | SelectModel | SetFaceBlur):
            self.video.submit(command)
        elif isinstance(command, ExerciseCommand):
            self.exercise.submit(command)
        elif isinstance(command, AddBookmark | DeleteBookmark):
            self.timeline.submit(command)
        else:
            raise TypeError(f"no service takes {type(command).__name__} commands")

    def source_configs(self) -> list[dict[str, Any]]:
        """Configured sources. When none is configured the demo plays: its simulated tools
        serve alerts, detections, sensor readings, patrol tracks and social-media posts over
        REST (connected to like real tools). The demo source plays only what no simulated
        tool serves (nothing, once connectors can pull posts) and keeps the scenario's own
        line in the sources' health."""
        configs = list(self.settings.sources)
        if configs or not self.settings.demo or self.settings.scenario:
            return configs
        speed = self.settings.demo_speed
        if self.demo_tools is None:
            self.demo_tools = DemoTools(speed=speed).start()
        return [
            {
                "plugin": "demo",
                "params": {"speed": speed, "kinds": self.demo_tools.unserved_kinds()},
            },
            *self.demo_tools.connector_configs(),
        ]

    def _stop_demo(self) -> None:
        """An exercise replaces the demo (both serve tools named alike). When the demo plays,
        its sources are the only ones, so they all stop; the runner is renewed."""
        if self.demo_tools is None:
            return
        log.info("An exercise starts: the demo stops")
        self.runner.stop()
        self.runner = SourceRunner(self.ingest, self.hub)
        self.sources.clear()
        self.demo_tools.stop()
        self.demo_tools = None

    def _route(self, tool_id: str) -> ConnectorRoute | None:
        """Which running connector speaks to ``tool_id``, for pushing operators' actions back."""
        for source in self.sources:
            if isinstance(source, RestConnector) and source.id == tool_id:
                return ConnectorRoute(source.id, source.config.simulated)
        return None

    def audit_event(
        self,
        action: str,
        target: str = "",
        detail: dict[str, Any] | None = None,
        outcome: Outcome = Outcome.OK,
    ) -> None:
        """Puts something the GUI did that is no command (a language change, a layout reset,
        an export) on the record, in the signed-in person's name; returns at once."""
        self.audit.record(
            AuditEvent(self.security.actor, action, target, outcome, detail or {}, self.workstation)
        )

    def start(self) -> None:
        self.audit.start()
        self.security.start()
        self.alerts.start()
        self.incidents.start()
        self.timeline.start()
        # Before the site service: the video side waits for its cameras in the site picture.
        self.video.start()
        self.sites.start()
        self.sensor_watch.start()
        self.social_watch.start()
        self.unmask.start()  # after the video side: it may re-blur cameras at once
        self.retention.start()
        self._start_listener()
        for config in self.source_configs():
            source = self._build_source(config)
            if source is not None:
                self.sources.append(source)
                self.runner.start(source)
        # After the configured sources: an exercise's connectors must not take their ids.
        self.exercise.start()
        if self.scenario is not None:
            self.exercise.start_exercise(self.scenario, self.settings.demo_speed)

    def _start_listener(self) -> None:
        """Workstations sharing one PostgreSQL database hear each other's changes, pushed
        (LISTEN/NOTIFY); a local SQLite store has nobody to hear."""
        if self.engine.dialect.name != "postgresql":
            return
        room = SharedRoom(
            self.store,
            self.hub,
            self.alerts.repository,
            self.incidents,
            self.unmask,
        )
        self.listener = room.listener(self.engine.url.render_as_string(hide_password=False))
        self.listener.start()

    def _build_source(self, config: dict[str, Any]) -> Source | None:
        plugin_id = str(config.get("plugin", ""))
        factory = self.plugins.load(plugin_id)
        manifest = self.plugins.get(plugin_id)
        title = str(manifest.title) if manifest else plugin_id
        if factory is None:
            problem = self.plugins.problems[-1].message if self.plugins.problems else ""
            self.hub.publish(SourceHealth(plugin_id, title, HealthState.DOWN, problem))
            return None
        try:
            return factory(**config.get("params", {}))
        except Exception as exc:
            log.exception("Cannot start source %s", plugin_id)
            self.hub.publish(SourceHealth(plugin_id, title, HealthState.DOWN, str(exc)))
            return None

    def stop(self) -> None:
        if self.listener is not None:  # first: nothing is published into stopped services
            self.listener.stop()
            self.listener = None
        self.retention.stop()  # early: a purge in progress ends between two batches
        self.exercise.stop()
        self.runner.stop()
        self.unmask.stop()  # before the video side: faces it showed are blurred again
        self.video.stop()
        self.sensor_watch.stop()
        self.social_watch.stop()
        self.alerts.stop()
        self.incidents.stop()
        self.timeline.stop()
        self.sites.stop()
        if self.demo_tools is not None:
            self.demo_tools.stop()
            self.demo_tools = None
        self.security.stop()
        self.audit.stop()  # last: what every service did until now is written
        self.engine.dispose()


def _load_scenario(name_or_path: str) -> ScenarioSpec | None:
    """The scenario named in the settings (``ScenarioError`` if it cannot be used)."""
    return load_scenario(name_or_path) if name_or_path else None
