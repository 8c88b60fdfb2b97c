/* Every map of the site (app/maps/): a map element with data-map-data naming its data island,
 * <script type="application/json">, which this script reads with JSON.parse and draws with
 * Leaflet: areas (GeoJSON, tooltips of their details), gap categories (patterns over the areas),
 * reported-gap pins, asset markers in stacks (leaflet.markercluster), live layers
 * (live-layer.js), a layer control, and the page's words on Leaflet's controls.
 *
 * Text from the data (names, titles, codes, labels) reaches the DOM only through textContent,
 * setAttribute and DOM nodes handed to Leaflet: never innerHTML, never an HTML string to
 * bindPopup/bindTooltip. Leaflet's layer control takes a layer's name as HTML: it gets the
 * browser's own serialisation of a text node (escaped). The basemap's attribution is HTML, a
 * setting (ASSETMAP_BASEMAP_ATTRIBUTION), not data.
 *
 * Other scripts get a map with AssetmapMaps.ready(elementId, callback) (or .get(elementId)
 * once the page has loaded).
 */
(function () {
  "use strict";

  var built = {};
  var waiting = {};

  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    return node;
  }

  // A tooltip of a feature's details: a table of label and value, as folium drew it.
  function detailsTable(fields, labels) {
    return function (layer) {
      var properties = (layer.feature && layer.feature.properties) || {};
      var table = element("table");
      fields.forEach(function (name, i) {
        var row = element("tr");
        var label = element("th", labels[i]);
        label.style.textAlign = "left";
        label.style.padding = "2px 8px 2px 2px";
        row.appendChild(label);
        var value = properties[name];
        var cell = element("td", value === null || value === undefined ? "" : value);
        cell.style.textAlign = "left";
        row.appendChild(cell);
        table.appendChild(row);
      });
      return table;
    };
  }

  function textNode(text, lang) {
    return element("span", text, lang ? { lang: lang } : {});
  }

  function areasLayer(spec) {
    var geo = L.geoJSON(spec.data, {
      style: function (feature) {
        var style = Object.assign({}, spec.style);
        if (spec.fills) {
          style.fillColor = spec.fills[feature.properties.shade || 0];
        }
        return style;
      },
      onEachFeature: function (feature, layer) {
        if (spec.fields.length) {
          layer.bindTooltip(detailsTable(spec.fields, spec.labels), { sticky: true });
        }
        if (spec.highlight) {
          layer.on("mouseover", function () { layer.setStyle(spec.highlight); });
          layer.on("mouseout", function () { geo.resetStyle(layer); });
        }
      },
    });
    return geo;
  }

  function categoriesLayer(spec, source) {
    return L.geoJSON(source ? source.data : null, {
      interactive: false,
      style: function (feature) {
        return spec.styles[feature.properties.category] || { stroke: false, fill: false };
      },
    });
  }

  function pinsLayer(spec) {
    var group = L.featureGroup();
    var icon = L.icon({
      iconUrl: spec.icon.url,
      iconSize: spec.icon.size,
      iconAnchor: spec.icon.anchor,
    });
    spec.pins.forEach(function (pin) {
      L.marker([pin.lat, pin.lon], { icon: icon, alt: pin.title })
        .bindTooltip(textNode(pin.title, pin.lang), { sticky: true })
        .addTo(group);
    });
    return group;
  }

  function stackIcon(label) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var box = element("span");
      box.appendChild(element("span", label + ": " + n, { class: "visually-hidden" }));
      box.appendChild(element("span", String(n), { "aria-hidden": "true" }));
      return L.divIcon({ html: box, className: "live-cluster", iconSize: [30, 30] });
    };
  }

  function assetPopup(pin) {
    var box = element("div", null, pin.lang ? { lang: pin.lang } : {});
    box.appendChild(element("strong", pin.name));
    if (pin.href) {
      box.appendChild(element("br"));
      box.appendChild(element("a", pin.linkText, { href: pin.href }));
    }
    return box;
  }

  function markersLayer(spec) {
    var stack = L.markerClusterGroup({
      maxClusterRadius: spec.stackRadius,
      showCoverageOnHover: false,
      iconCreateFunction: stackIcon(spec.stackLabel),
    });
    spec.pins.forEach(function (pin) {
      L.marker([pin.lat, pin.lon], { alt: pin.name })
        .bindTooltip(textNode(pin.name, pin.lang), { sticky: true })
        .bindPopup(assetPopup(pin), { maxWidth: 300 })
        .addTo(stack);
    });
    return stack;
  }

  function liveLayer(spec) {
    var group = L.featureGroup();
    window.AssetmapLive.attach(group, spec.config);
    return group;
  }

  // Leaflet's own control titles are English: give them the page's words.
  function nameControls(container, words) {
    var titles = {
      ".leaflet-control-layers-toggle": words.layers,
      ".leaflet-control-zoom-in": words.zoomIn,
      ".leaflet-control-zoom-out": words.zoomOut,
    };
    Object.keys(titles).forEach(function (selector) {
      container.querySelectorAll(selector).forEach(function (control) {
        control.title = titles[selector];
        control.setAttribute("aria-label", titles[selector]);
      });
    });
  }

  function build(container) {
    var island = document.getElementById(container.getAttribute("data-map-data"));
    if (!island || !window.L) {
      return;
    }
    var data = JSON.parse(island.textContent);
    var map = L.map(container, { maxZoom: data.maxZoom });
    if (data.basemap) {
      L.tileLayer(data.basemap.url, {
        attribution: data.basemap.attribution,
        maxZoom: data.maxZoom,
      }).addTo(map);
    }
    L.control.scale().addTo(map);
    if (data.bounds) {
      map.fitBounds(data.bounds, { maxZoom: data.fitMaxZoom, padding: [24, 24] });
    } else {
      map.setView([52.3, -3.8], 7);
    }
    var sources = {};
    var overlays = [];
    data.layers.forEach(function (spec) {
      var layer = null;
      if (spec.type === "areas") {
        layer = areasLayer(spec);
        sources[spec.id] = spec;
      } else if (spec.type === "categories") {
        layer = categoriesLayer(spec, sources[spec.source]);
      } else if (spec.type === "pins") {
        layer = pinsLayer(spec);
      } else if (spec.type === "markers") {
        layer = markersLayer(spec);
      } else if (spec.type === "live") {
        layer = liveLayer(spec);
      }
      if (layer === null) {
        return;
      }
      if (spec.show !== false) {
        layer.addTo(map);
      }
      if (spec.name) {
        overlays.push([spec.name, layer]);
      }
    });
    if (data.layerControl && overlays.length) {
      var control = L.control.layers(null, null, { collapsed: true });
      // Layer names are text: Leaflet writes a name given as a string as HTML.
      overlays.forEach(function (pair) {
        control.addOverlay(pair[1], element("span", pair[0]).outerHTML);
      });
      control.addTo(map);
    }
    nameControls(container, data.words);
    built[container.id] = map;
    (waiting[container.id] || []).forEach(function (callback) { callback(map); });
    delete waiting[container.id];
  }

  function ready(id, callback) {
    if (built[id]) {
      callback(built[id]);
    } else {
      (waiting[id] = waiting[id] || []).push(callback);
    }
  }

  // The map of an element, once built (null before).
  function get(id) {
    return built[id] || null;
  }

  window.AssetmapMaps = { ready: ready, get: get };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map-data]").forEach(build);
  });
})();
