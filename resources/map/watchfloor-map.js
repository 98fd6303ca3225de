/* Watchfloor map page: live objects, zones and controls on the map folium made.
 *
 * Rules kept here:
 * - Text from outside (headlines, callsigns, names) is only ever set with textContent; nothing
 *   in this file builds HTML from data.
 * - Python sends batches (Watchfloor.apply) a few times a second; tracks are drawn on one canvas
 *   so thousands of them cost one redraw per animation frame, not thousands of DOM nodes.
 * - Objects the operator draws (zones) go to Python first and come back once stored.
 */
(function () {
  "use strict";

  const WF = {};
  window.Watchfloor = WF;

  const state = {
    map: null,
    bridge: null,
    config: null,
    strings: {},
    rtl: false,
    bases: {},
    groups: {},
    objects: new Map(),
    symbols: new Map(),
    selected: null,
    following: null,
    controls: {},
    overlays: [],
    frames: [],
    drawnAt: new Map(),
  };
  WF.state = state;

  const CAMERA_RANGE_M = 60;
  const SYMBOL_SIZE = { alert: 26, detection: 20, track: 16, post: 18, camera: 18, sensor: 18 };
  const FRAME_SAMPLES = 240;
  const FOLLOW_ZOOM = 16;

  function t(key) {
    return state.strings[key] || key;
  }

  function named(key, fallback) {
    return state.strings[key] || fallback;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // ---- symbols: milsymbol, cached by code, size and outline -------------------------------

  WF.symbolOptions = function (size, outline) {
    const options = { size: size };
    if (outline) {
      options.outlineColor = outline;
      options.outlineWidth = 3;
    }
    return options;
  };

  WF.symbolSvg = function (sidc, size, outline) {
    return new ms.Symbol(sidc, WF.symbolOptions(size, outline)).asSVG();
  };

  function symbol(sidc, size, outline) {
    const key = sidc + "|" + size + "|" + (outline || "");
    let found = state.symbols.get(key);
    if (!found) {
      const drawn = new ms.Symbol(sidc, WF.symbolOptions(size, outline));
      const canvas = drawn.asCanvas(1);
      const anchor = drawn.getAnchor();
      found = { canvas: canvas, anchor: anchor, url: canvas.toDataURL() };
      state.symbols.set(key, found);
    }
    return found;
  }

  function symbolIcon(sidc, size, outline) {
    const drawn = symbol(sidc, size, outline);
    return L.icon({
      iconUrl: drawn.url,
      iconSize: [drawn.canvas.width, drawn.canvas.height],
      iconAnchor: [drawn.anchor.x, drawn.anchor.y],
      className: "wf-symbol",
    });
  }

  // ---- tooltips: built from text nodes only -------------------------------------------------

  function describe(data) {
    const box = element("div", "wf-tip");
    box.appendChild(element("div", "wf-tip-label", data.label));
    if (data.sub) box.appendChild(element("div", "wf-tip-sub", data.sub));
    if (data.ex) box.appendChild(element("div", "wf-tip-exercise", t("EXERCISE")));
    return box;
  }

  // ---- the track canvas ------------------------------------------------------------------

  const TrackLayer = L.Layer.extend({
    initialize: function () {
      this.tracks = new Map();
      this._frame = null;
    },
    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", "wf-tracks leaflet-zoom-hide");
      map.getPanes().overlayPane.appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this._reset, this);
      this._reset();
    },
    onRemove: function (map) {
      map.off("moveend zoomend resize viewreset", this._reset, this);
      L.DomUtil.remove(this._canvas);
    },
    set: function (id, data) {
      this.tracks.set(id, data);
      this.redraw();
    },
    delete: function (id) {
      this.tracks.delete(id);
      this.redraw();
    },
    redraw: function () {
      if (this._map && !this._frame) this._frame = L.Util.requestAnimFrame(this._draw, this);
    },
    _reset: function () {
      const map = this._map;
      const size = map.getSize();
      L.DomUtil.setPosition(this._canvas, map.containerPointToLayerPoint([0, 0]));
      this._canvas.width = size.x;
      this._canvas.height = size.y;
      this._draw();
    },
    _draw: function () {
      this._frame = null;
      const started = performance.now();
      const map = this._map;
      const context = this._canvas.getContext("2d");
      context.clearRect(0, 0, this._canvas.width, this._canvas.height);
      const bounds = map.getBounds().pad(0.05);
      const size = SYMBOL_SIZE.track;
      // Heading lines go into one path, stroked once: one stroke per track costs more than
      // all the symbols together on a software canvas.
      context.beginPath();
      for (const data of this.tracks.values()) {
        const position = L.latLng(data.lat, data.lon);
        if (!bounds.contains(position)) continue;
        const point = map.latLngToContainerPoint(position);
        const drawn = symbol(data.sidc, size);
        // Whole pixels: a sub-pixel drawImage costs twice as much on a software canvas.
        const x = Math.round(point.x - drawn.anchor.x);
        const y = Math.round(point.y - drawn.anchor.y);
        context.drawImage(drawn.canvas, x, y);
        if (data.heading !== undefined) addHeading(context, point, data.heading);
      }
      context.strokeStyle = "#222";
      context.lineWidth = 1.5;
      context.stroke();
      recordFrame(performance.now() - started);
    },
    hit: function (point, radius) {
      let best = null;
      let bestDistance = radius * radius;
      for (const [id, data] of this.tracks) {
        const p = this._map.latLngToContainerPoint([data.lat, data.lon]);
        const distance = (p.x - point.x) ** 2 + (p.y - point.y) ** 2;
        if (distance <= bestDistance) {
          best = id;
          bestDistance = distance;
        }
      }
      return best;
    },
  });

  function addHeading(context, point, heading) {
    const radians = (heading * Math.PI) / 180;
    context.moveTo(point.x, point.y);
    context.lineTo(point.x + 18 * Math.sin(radians), point.y - 18 * Math.cos(radians));
  }

  function recordFrame(duration) {
    state.frames.push(duration);
    if (state.frames.length > FRAME_SAMPLES) state.frames.shift();
  }

  // ---- object kinds ------------------------------------------------------------------------

  function key(kind, id) {
    return kind + "\u0000" + id;
  }

  function markerFor(data, outline) {
    const marker = L.marker([data.lat, data.lon], {
      icon: symbolIcon(data.sidc, SYMBOL_SIZE[data.k], outline),
      keyboard: false,
    });
    marker.wfData = data;
    marker.wfLook = data.sidc + "|" + (outline || "");
    marker.bindTooltip(describe(data), { direction: "top", offset: [0, -12] });
    marker.on("click", function () {
      select(marker.wfData.k, marker.wfData.id);
    });
    return marker;
  }

  // A changed record moves and relabels its marker in place: rebuilding it would make the
  // symbol flicker and drop the operator's hover or click on the way.
  function updateMarker(marker, data, outline) {
    marker.wfData = data;
    marker.setLatLng([data.lat, data.lon]);
    const look = data.sidc + "|" + (outline || "");
    if (marker.wfLook !== look) {
      marker.wfLook = look;
      marker.setIcon(symbolIcon(data.sidc, SYMBOL_SIZE[data.k], outline));
    }
    marker.setTooltipContent(describe(data));
  }

  function cameraView(data) {
    const centre = L.latLng(data.lat, data.lon);
    const points = [centre];
    const from = data.heading - data.fov / 2;
    for (let step = 0; step <= 8; step += 1) {
      points.push(destination(centre, from + (data.fov * step) / 8, CAMERA_RANGE_M));
    }
    return L.polygon(points, { className: "wf-camera-view", interactive: false });
  }

  function destination(origin, bearing, metres) {
    const radians = (bearing * Math.PI) / 180;
    const dLat = (metres * Math.cos(radians)) / 111320;
    const dLon = (metres * Math.sin(radians)) / (111320 * Math.cos((origin.lat * Math.PI) / 180));
    return L.latLng(origin.lat + dLat, origin.lng + dLon);
  }

  function zoneLayer(data) {
    const polygon = L.polygon(data.ring, {
      className: "wf-zone wf-zone-" + String(data.zone_kind).replace(/[^a-z-]/g, ""),
      pmIgnore: false,
    });
    polygon.bindTooltip(describe(data), { sticky: true });
    polygon.on("click", function () {
      select("zone", data.id);
    });
    polygon.on("pm:edit", function () {
      if (state.bridge) state.bridge.zoneEdited(data.id, JSON.stringify(polygon.toGeoJSON()));
    });
    polygon.wfZone = data.id;
    return polygon;
  }

  function build(data) {
    switch (data.k) {
      case "alert": {
        const marker = markerFor(data, data.colour);
        marker.wfPriority = data.prio; // cluster colours follow the most urgent alert inside
        return { cluster: marker, marker: marker, extra: alertArea(data) };
      }
      case "track":
        return { track: true };
      case "camera": {
        const layers = [markerFor(data)];
        if (data.heading !== undefined) layers.unshift(cameraView(data));
        return { layer: L.featureGroup(layers) };
      }
      case "zone":
        return { layer: zoneLayer(data) };
      default: {
        const marker = markerFor(data);
        return { layer: marker, marker: marker };
      }
    }
  }

  function updatable(found, data) {
    const areaBefore = Boolean(found.data.ring || found.data.radius_m);
    const areaNow = Boolean(data.ring || data.radius_m);
    return found.built.marker && !areaBefore && !areaNow;
  }

  function alertArea(data) {
    if (data.ring) return L.polygon(data.ring, { className: "wf-alert-area", interactive: false });
    if (data.radius_m) {
      return L.circle([data.lat, data.lon], {
        radius: data.radius_m,
        className: "wf-alert-area",
        interactive: false,
      });
    }
    return null;
  }

  function upsert(data) {
    const id = key(data.k, data.id);
    const found = state.objects.get(id);
    if (found && updatable(found, data)) {
      const marker = found.built.marker;
      if (data.k === "alert") {
        marker.wfPriority = data.prio;
        state.groups.alert.refreshClusters(marker);
      }
      updateMarker(marker, data, data.k === "alert" ? data.colour : undefined);
      found.data = data;
    } else {
      removeKey(id);
      add(id, data);
    }
    if (data.k === "alert" && !state.drawnAt.has(data.id)) state.drawnAt.set(data.id, Date.now());
    if (data.k === "alert" && !state.drawnAt.has(data.id)) state.drawnAt.set(data.id, Date.now());
    if (state.following === id) {
      cancelFlight();
      state.map.panTo([data.lat, data.lon], { animate: false });
    }
    if (state.selected === id) showSelection();
  }

  function add(id, data) {
    const built = build(data);
    const group = state.groups[data.k];
    if (built.track) group.set(data.id, data);
    if (built.cluster) group.addLayer(built.cluster);
    else if (built.layer) group.addLayer(built.layer);
    if (built.extra) state.groups.areas.addLayer(built.extra);
    state.objects.set(id, { data: data, built: built });
  }

  function removeKey(id) {
    const found = state.objects.get(id);
    if (!found) return;
    const group = state.groups[found.data.k];
    if (found.built.track) group.delete(found.data.id);
    if (found.built.cluster) group.removeLayer(found.built.cluster);
    else if (found.built.layer) group.removeLayer(found.built.layer);
    if (found.built.extra) state.groups.areas.removeLayer(found.built.extra);
    state.objects.delete(id);
  }

  WF.apply = function (batch) {
    for (const pair of batch.remove || []) removeKey(key(pair[0], pair[1]));
    for (const data of batch.upsert || []) upsert(data);
    if (state.selected && !state.objects.has(state.selected)) clearSelection();
    return state.objects.size;
  };

  // Review mode swaps the objects of some kinds (alerts, detections, tracks, posts) for those of
  // another moment in one call: objects of those kinds missing from the batch go, the others
  // are drawn or updated in place (no flicker for what did not change), other kinds stay.
  // Scrubbing moves between close moments, so most objects are as already drawn: those are
  // left alone (same data, same JSON from the same Python builder) instead of rebuilt.
  WF.replace = function (kinds, batch) {
    const wanted = new Set(kinds);
    const keep = new Set();
    const changed = [];
    for (const data of batch.upsert || []) {
      const id = key(data.k, data.id);
      keep.add(id);
      const found = state.objects.get(id);
      if (!found || JSON.stringify(found.data) !== JSON.stringify(data)) changed.push(data);
    }
    for (const [id, found] of Array.from(state.objects)) {
      if (wanted.has(found.data.k) && !keep.has(id)) removeKey(id);
    }
    return WF.apply({ upsert: changed, remove: [] });
  };

  // ---- selection and following ------------------------------------------------------------

  function select(kind, id) {
    state.selected = key(kind, id);
    showSelection();
    if (state.bridge) state.bridge.objectSelected(kind, id);
  }

  WF.focus = function (kind, id) {
    const found = state.objects.get(key(kind, id));
    if (!found) return false;
    state.selected = key(kind, id);
    const data = found.data;
    if (data.ring && data.k === "zone") {
      state.map.flyToBounds(L.polygon(data.ring).getBounds(), { maxZoom: 18, duration: 0.6 });
    } else {
      state.map.flyTo([data.lat, data.lon], Math.max(state.map.getZoom(), 17), { duration: 0.6 });
    }
    showSelection();
    return true;
  };

  function showSelection() {
    const found = state.objects.get(state.selected);
    state.groups.selection.clearLayers();
    if (!found) return;
    const data = found.data;
    if (data.lat !== undefined) {
      L.circleMarker([data.lat, data.lon], {
        radius: 22,
        className: "wf-selected",
        interactive: false,
      }).addTo(state.groups.selection);
    }
    state.controls.info.show(data);
  }

  function clearSelection() {
    state.selected = null;
    state.following = null;
    state.groups.selection.clearLayers();
    state.controls.info.show(null);
  }

  // A fly-to still under way must not pull the view back from a followed track. Leaflet's
  // public stop() snaps the zoom with an animation that does exactly that, so the flight's
  // own frame is cancelled instead (Leaflet is pinned by the lockfile).
  function cancelFlight() {
    state.map._stop();
  }

  WF.follow = function (on) {
    state.following = on ? state.selected : null;
    const found = state.objects.get(state.selected);
    if (on && found) {
      cancelFlight();
      const zoom = Math.max(state.map.getZoom(), FOLLOW_ZOOM);
      state.map.setView([found.data.lat, found.data.lon], zoom, { animate: false });
    }
    state.controls.info.show(found ? found.data : null);
  };

  // ---- controls ----------------------------------------------------------------------------

  const InfoControl = L.Control.extend({
    onAdd: function () {
      this._box = element("div", "wf-info leaflet-bar");
      L.DomEvent.disableClickPropagation(this._box);
      this.show(null);
      return this._box;
    },
    show: function (data) {
      const box = this._box;
      if (!box) return;
      box.replaceChildren();
      box.style.display = data ? "" : "none";
      if (!data) return;
      box.appendChild(describe(data));
      if (data.k === "track") {
        const following = state.following === key(data.k, data.id);
        const button = element("button", "wf-follow", following ? t("Stop following") : t("Follow"));
        button.type = "button";
        button.addEventListener("click", function () {
          WF.follow(!following);
        });
        box.appendChild(button);
      }
    },
  });

  const CoordinatesControl = L.Control.extend({
    onAdd: function (map) {
      const box = element("div", "wf-coordinates", "");
      box.dir = "ltr";
      map.on("mousemove", function (event) {
        box.textContent = event.latlng.lat.toFixed(5) + ", " + event.latlng.lng.toFixed(5);
      });
      map.on("mouseout", function () {
        box.textContent = "";
      });
      return box;
    },
  });

  const MeasureControl = L.Control.extend({
    onAdd: function (map) {
      const bar = element("div", "leaflet-bar wf-measure");
      const button = element("a", "wf-measure-button", "\u21A6");
      button.href = "#";
      button.setAttribute("role", "button");
      this._button = button;
      this._readout = element("div", "wf-measure-readout");
      bar.appendChild(button);
      bar.appendChild(this._readout);
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.on(button, "click", function (event) {
        L.DomEvent.preventDefault(event);
        WF.measure(!state.measuring);
      });
      this._line = L.polyline([], { className: "wf-measure-line", interactive: false });
      map.on("click", this._onClick, this);
      this.retranslate();
      return bar;
    },
    retranslate: function () {
      if (this._button) this._button.title = t("Measure distance");
      this.update();
    },
    _onClick: function (event) {
      if (!state.measuring) return;
      this._line.addLatLng(event.latlng);
      this.update();
    },
    reset: function (on) {
      this._line.setLatLngs([]);
      if (on) this._line.addTo(state.map);
      else this._line.remove();
      L.DomUtil[on ? "addClass" : "removeClass"](this._button, "wf-active");
      this.update();
    },
    update: function () {
      if (!this._readout) return;
      const points = this._line.getLatLngs();
      let metres = 0;
      for (let i = 1; i < points.length; i += 1) metres += points[i - 1].distanceTo(points[i]);
      this._readout.textContent = state.measuring
        ? points.length < 2
          ? t("Click points on the map to measure")
          : formatDistance(metres)
        : "";
      this._readout.style.display = state.measuring ? "" : "none";
    },
    distance: function () {
      const points = this._line.getLatLngs();
      let metres = 0;
      for (let i = 1; i < points.length; i += 1) metres += points[i - 1].distanceTo(points[i]);
      return metres;
    },
  });

  function formatDistance(metres) {
    const language = state.config.language;
    if (metres < 1000) {
      const value = new Intl.NumberFormat(language, { maximumFractionDigits: 0 }).format(metres);
      return t("{value} m").replace("{value}", value);
    }
    const value = new Intl.NumberFormat(language, { maximumFractionDigits: 2 }).format(
      metres / 1000
    );
    return t("{value} km").replace("{value}", value);
  }

  WF.measure = function (on) {
    state.measuring = Boolean(on);
    state.controls.measure.reset(state.measuring);
    return state.measuring;
  };

  WF.measuredMetres = function () {
    return state.controls.measure.distance();
  };

  // ---- zones drawn with the drawing tools ----------------------------------------------------

  function zoneTools(map) {
    map.pm.setLang("watchfloor", geomanStrings(), "en");
    map.pm.addControls({
      position: side("topleft"),
      drawMarker: false,
      drawCircleMarker: false,
      drawPolyline: false,
      drawRectangle: true,
      drawPolygon: true,
      drawCircle: false,
      drawText: false,
      cutPolygon: false,
      rotateMode: false,
      dragMode: false,
      editMode: true,
      removalMode: true,
    });
    map.on("pm:create", function (event) {
      const drawn = event.layer;
      map.removeLayer(drawn);
      if (state.bridge) state.bridge.zoneDrawn(JSON.stringify(drawn.toGeoJSON()));
    });
    map.on("pm:remove", function (event) {
      const id = event.layer && event.layer.wfZone;
      if (id && state.bridge) state.bridge.zoneDeleted(id);
    });
  }

  // The zone tools are shown only to people who may configure the console: Python says so
  // once the page is ready and at every change of person. Hiding them also ends any drawing,
  // editing or removing under way.
  WF.zoneTools = function (on) {
    const pm = state.map.pm;
    if (!on) {
      pm.disableDraw();
      pm.disableGlobalEditMode();
      pm.disableGlobalRemovalMode();
    }
    if (pm.controlsVisible() !== Boolean(on)) pm.toggleControls();
  };

  function geomanStrings() {
    return {
      tooltips: {
        firstVertex: t("Click to place the first corner"),
        continueLine: t("Click to continue drawing"),
        finishPoly: t("Click the first corner to finish"),
        finishRect: t("Click to finish"),
      },
      actions: {
        finish: t("Finish"),
        cancel: t("Cancel"),
        removeLastVertex: t("Remove last corner"),
      },
      buttonTitles: {
        drawPolyButton: t("Draw a zone"),
        drawRectButton: t("Draw a rectangular zone"),
        editButton: t("Edit zones"),
        deleteButton: t("Delete a zone"),
      },
    };
  }

  // ---- site layers (venues, places) from app://layers ----------------------------------------

  function siteStyle(feature) {
    const properties = feature.properties || {};
    return {
      className: "wf-site wf-site-" + String(properties.kind || "").replace(/[^a-z]/g, ""),
      color: properties.stroke || undefined,
      fillColor: properties.fill || undefined,
    };
  }

  function sitePoint(feature, position) {
    return L.circleMarker(position, { radius: 5, className: "wf-place" });
  }

  // Named places keep their names on the map (operators find their way by them); other site
  // features name themselves on hover.
  function siteFeature(feature, layer) {
    const properties = feature.properties || {};
    if (!properties.name) return;
    const label = element("span", "wf-site-name", properties.name);
    if (properties.kind === "place") {
      layer.bindTooltip(label, {
        permanent: true,
        direction: "right",
        offset: [6, 0],
        className: "wf-place-label",
      });
    } else {
      layer.bindTooltip(label, { sticky: true });
    }
  }

  // Assets with an identifier are records (cameras, sensors, zones) and drawn live instead.
  function siteOnly(feature) {
    const properties = feature.properties || {};
    return !(["camera", "sensor", "zone"].includes(properties.kind) && properties.identifier);
  }

  function loadSiteLayer(entry) {
    const group = L.geoJSON(null, {
      style: siteStyle,
      pointToLayer: sitePoint,
      onEachFeature: siteFeature,
      filter: siteOnly,
    });
    group.addTo(state.map);
    state.overlays.push({ layer: group, id: entry.id, name: entry.name });
    fetch("app://layers/" + encodeURIComponent(entry.id))
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.json();
      })
      .then(function (collection) {
        group.addData(collection);
        group.bringToBack();
      })
      .catch(function (error) {
        if (state.bridge) state.bridge.pageProblem(entry.name + ": " + error.message);
      });
  }

  // ---- layer control, directions, language ----------------------------------------------------

  const GROUP_NAMES = {
    alert: "Alerts",
    detection: "Detections",
    track: "Tracks",
    post: "Located posts",
    camera: "Cameras",
    sensor: "Sensors",
    zone: "Zones",
  };

  function side(position) {
    if (!state.rtl) return position;
    return position.replace("left", "\u0000").replace("right", "left").replace("\u0000", "right");
  }

  function layersControl() {
    if (state.controls.layers) state.controls.layers.remove();
    const bases = {};
    for (const [id, layer] of Object.entries(state.bases)) {
      bases[named("base:" + id, state.config.names[id])] = layer;
    }
    const overlays = {};
    for (const [kind, name] of Object.entries(GROUP_NAMES)) overlays[t(name)] = state.groups[kind];
    for (const overlay of state.overlays) overlays[named("site:" + overlay.id, overlay.name)] = overlay.layer;
    state.controls.layers = L.control.layers(bases, overlays, { position: side("topright") });
    state.controls.layers.addTo(state.map);
  }

  function placeControls() {
    const map = state.map;
    const places = {
      zoom: "topleft",
      info: "topright",
      coordinates: "bottomleft",
      measure: "topleft",
    };
    if (map.zoomControl) map.zoomControl.setPosition(side("topleft"));
    if (map.attributionControl) map.attributionControl.setPosition(side("bottomright"));
    for (const [name, position] of Object.entries(places)) {
      if (state.controls[name]) state.controls[name].setPosition(side(position));
    }
    map.pm.Toolbar.setBlockPosition("draw", side("topleft"));
    map.pm.Toolbar.setBlockPosition("edit", side("topleft"));
    for (const control of document.querySelectorAll(".leaflet-control-scale")) {
      const corner = map._controlCorners[side("bottomleft")];
      corner.appendChild(control);
    }
    document.documentElement.dir = state.rtl ? "rtl" : "ltr";
  }

  WF.setLanguage = function (strings, rtl, language) {
    state.strings = strings;
    state.rtl = Boolean(rtl);
    state.config.language = language;
    document.documentElement.lang = language;
    state.map.pm.setLang("watchfloor", geomanStrings(), "en");
    layersControl();
    placeControls();
    state.controls.measure.retranslate();
    showSelection();
  };

  WF.stats = function () {
    const frames = state.frames.slice().sort(function (a, b) {
      return a - b;
    });
    const counts = {};
    for (const found of state.objects.values()) counts[found.data.k] = (counts[found.data.k] || 0) + 1;
    return {
      objects: counts,
      frames: frames.length,
      frameP95: frames.length ? frames[Math.floor(frames.length * 0.95)] : 0,
      frameMax: frames.length ? frames[frames.length - 1] : 0,
    };
  };

  // ---- start -------------------------------------------------------------------------------

  WF.boot = function (map, bases, config) {
    // From here on only layers that say so can be edited by the drawing tools (the
    // operator's zones); set after folium made the map, which needs the tools itself.
    L.PM.setOptIn(true);
    state.map = map;
    state.bases = bases;
    state.config = config;
    state.strings = config.strings || {};
    state.rtl = Boolean(config.rtl);
    document.documentElement.lang = config.language;
    map.attributionControl.setPrefix("Leaflet");
    state.groups.areas = L.featureGroup().addTo(map);
    state.groups.zone = L.featureGroup().addTo(map);
    state.groups.camera = L.featureGroup().addTo(map);
    state.groups.sensor = L.featureGroup().addTo(map);
    state.groups.post = L.featureGroup().addTo(map);
    state.groups.detection = L.featureGroup().addTo(map);
    state.groups.track = new TrackLayer().addTo(map);
    state.groups.alert = L.markerClusterGroup({
      maxClusterRadius: 40,
      disableClusteringAtZoom: 18,
      iconCreateFunction: clusterIcon,
    }).addTo(map);
    state.groups.selection = L.featureGroup().addTo(map);
    for (const entry of config.siteLayers || []) loadSiteLayer(entry);
    state.controls.info = new InfoControl({ position: "topright" }).addTo(map);
    state.controls.coordinates = new CoordinatesControl({ position: "bottomleft" }).addTo(map);
    state.controls.measure = new MeasureControl({ position: "topleft" }).addTo(map);
    zoneTools(map);
    map.on("click", function (event) {
      if (state.measuring) return;
      const hit = state.groups.track.hit(event.containerPoint, 10);
      if (hit !== null) select("track", hit);
    });
    layersControl();
    placeControls();
    connect();
  };

  function clusterIcon(cluster) {
    let top = 4;
    for (const marker of cluster.getAllChildMarkers()) {
      const found = marker.wfPriority;
      if (found && found < top) top = found;
    }
    const box = element("div", "", String(cluster.getChildCount()));
    return L.divIcon({
      html: box,
      className: "marker-cluster wf-cluster wf-cluster-p" + top,
      iconSize: L.point(36, 36),
    });
  }

  function connect() {
    if (typeof qt === "undefined" || typeof QWebChannel === "undefined") return;
    new QWebChannel(qt.webChannelTransport, function (channel) {
      state.bridge = channel.objects.bridge;
      state.bridge.pageReady();
    });
  }
})();
