"""Manifests of the plugins that ship with Watchfloor.

Declared through the ``watchfloor.manifests`` entry point exactly like third-party plugins; this
module must stay light (no imports of the plugins themselves).
"""

from app.plugins import PluginManifest
from i18n import lazy_gettext

MANIFESTS = (
    PluginManifest(
        id="demo",
        kind="source",
        title=lazy_gettext("Demo scenario"),
        target="app.demo.source:DemoScenarioSource",
        params={
            "type": "object",
            "properties": {
                "scenario": {"type": "string", "description": "scenario file; bundled if empty"},
                "speed": {"type": "number", "minimum": 0.1, "maximum": 60},
            },
        },
    ),
    PluginManifest(
        id="rest",
        kind="source",
        title=lazy_gettext("Remote tool (REST)"),
        target="app.sync.connector:RestConnector",
        params={"$ref": "app.sync.config:ConnectorConfig"},
    ),
    PluginManifest(
        id="mqtt",
        kind="source",
        title=lazy_gettext("Sensor broker (MQTT)"),
        target="app.mqtt.source:MqttSource",
        params={"$ref": "app.mqtt.config:MqttConfig"},
    ),
    # Video detectors: ``module:build`` takes the parameters and returns a FrameStepper; each
    # module also has the generator form ``run(source, params, token)``.
    PluginManifest(
        id="motion",
        kind="video-detector",
        title=lazy_gettext("Motion (background subtraction)"),
        target="detectors.video.motion:build",
    ),
    PluginManifest(
        id="people",
        kind="video-detector",
        title=lazy_gettext("People (OpenCV HOG)"),
        target="detectors.video.people:build",
    ),
    PluginManifest(
        id="faces",
        kind="video-detector",
        title=lazy_gettext("Faces (OpenCV cascade)"),
        target="detectors.video.faces:build",
    ),
    PluginManifest(
        id="yolo",
        kind="video-detector",
        title=lazy_gettext("YOLO (ultralytics; PyTorch or ONNX weights)"),
        target="detectors.video.yolo:build",
    ),
)
