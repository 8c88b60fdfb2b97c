/* Every map of the site (app/maps/): a map element with data-map-data naming its data island,
 * <script type="application/json">, which this script reads with JSON.parse and draws with
 * Leaflet: the basemap and its credit, the context layer (area outlines and names loaded by
 * viewport, under everything), areas (GeoJSON, or vector tiles styled by code: areaTiles,
 * tooltips of their details), gap categories
 * (patterns over the areas), reported-gap pins, asset markers in stacks (leaflet.markercluster),
 * numbered when the page lists them by number, the "you searched here" marker, live layers
 * (live-layer.js), a layer control, and the page's words on Leaflet's controls.
 *
 * Text from the data (names, titles, codes, labels) reaches the DOM only through textContent,
 * setAttribute and DOM nodes handed to Leaflet: never innerHTML, never an HTML string to
 * bindPopup/bindTooltip. Leaflet's layer control and attribution take HTML: they get the
 * browser's own serialisation of elements built with textContent and setAttribute (escaped),
 * the basemap's credit included (a setting, ASSETMAP_BASEMAP_ATTRIBUTION: text, not HTML).
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

  // ---- areas as vector tiles (leaflet.vectorgrid; /tiles/areas), styled from the page ------
  // The tiles carry each area's outline, code and names; the page's data gives, by code, its
  // decile, gap category and tooltip figures. Areas the page does not list are not drawn.
  // Vectorgrid's SVG renderer: SVG can fill with the gap patterns, and its canvas renderer
  // calls L.DomEvent.fakeStop, which Leaflet 1.8 removed.

  var tileCaches = {};

  function tileName(properties, lang) {
    var name = contextName(properties, lang);
    return name.text ? name : { text: properties.code || "", lang: lang };
  }

  function tileDetails(spec, properties, lang) {
    var row = spec.areas[properties.code] || [0, ""];
    var values = {
      name: tileName(properties, lang).text,
      code: properties.code,
      decile: row[0] ? String(row[0]) : "",
      category: spec.categoryWords[row[1]] || "",
    };
    spec.extra.forEach(function (field, i) { values[field] = row[2 + i]; });
    return { feature: { properties: values } };
  }

  function areaTiles(spec, lang, style) {
    var grid = L.vectorGrid.protobuf(spec.url, {
      rendererFactory: L.svg.tile,
      interactive: style.interactive !== false,
      pane: "overlayPane",
      zIndex: style.zIndex || 1,
      maxNativeZoom: 16,
      getFeatureId: function (feature) { return feature.properties.code; },
      vectorTileLayerStyles: {
        areas: function (properties) {
          var row = spec.areas[properties.code];
          return row ? style.of(row) : [];
        },
      },
    });
    // The need layer and its gap categories draw the same tiles: fetch and parse each once.
    var fetchTile = grid._getVectorTilePromise;
    grid._getVectorTilePromise = function (coords, bounds) {
      var key = coords.z + "/" + coords.x + "/" + coords.y;
      var tiles = tileCaches[spec.url] || {};
      if (!tiles[key]) {
        if (Object.keys(tiles).length > 256) {
          tiles = {};
        }
        tiles[key] = fetchTile.call(grid, coords, bounds);
        tileCaches[spec.url] = tiles;
      }
      return tiles[key];
    };
    return grid;
  }

  function areaTilesLayer(spec, map, lang) {
    var styleOf = function (row) {
      var style = Object.assign({ fill: true }, spec.style);
      style.fillColor = spec.fills[row[0] || 0];
      return style;
    };
    var grid = areaTiles(spec, lang, { of: styleOf });
    var tooltip = L.tooltip({ direction: "top", offset: [0, -8] });
    var table = detailsTable(spec.fields, spec.labels);
    var lit = null;
    function featureOf(e) {
      var layer = e.propagatedFrom || e.layer;
      return layer && layer.properties ? layer.properties : null;
    }
    grid.on("mouseover", function (e) {
      var properties = featureOf(e);
      if (!properties) {
        return;
      }
      tooltip.setLatLng(e.latlng).setContent(table(tileDetails(spec, properties, lang)));
      map.openTooltip(tooltip);
      if (spec.highlight && spec.areas[properties.code]) {
        lit = properties.code;
        grid.setFeatureStyle(lit, Object.assign(styleOf(spec.areas[lit]), spec.highlight));
      }
    });
    grid.on("mousemove", function (e) { tooltip.setLatLng(e.latlng); });
    grid.on("mouseout", function () {
      map.closeTooltip(tooltip);
      if (lit !== null) {
        grid.resetFeatureStyle(lit);
        lit = null;
      }
    });
    // Drawn: what a test or a benchmark waits for (the first tiles of the view are in).
    grid.once("load", function () {
      map.getContainer().setAttribute("data-areas-loaded", "true");
    });
    return grid;
  }

  function categoriesLayer(spec, source, lang) {
    if (source && source.type === "areaTiles") {
      return areaTiles(source, lang, {
        interactive: false,
        zIndex: 2,
        of: function (row) {
          return spec.styles[row[1]] || [];
        },
      });
    }
    return L.geoJSON(source ? source.data : null, {
      interactive: false,
      style: function (feature) {
        return spec.styles[feature.properties.gap] || { stroke: false, fill: false };
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

  // A stack's icon: how many markers it holds or, when they are numbered as the page's list
  // is, their numbers ("1, 2, 4"; "1, 2 +3" beyond three), so a stack's "3" is never taken for
  // the result numbered 3.
  function stackIcon(label) {
    return function (cluster) {
      var n = cluster.getChildCount();
      var numbers = cluster.getAllChildMarkers()
        .map(function (marker) { return marker.options.number; })
        .filter(function (number) { return number; })
        .sort(function (a, b) { return a - b; });
      var box = element("span");
      if (numbers.length !== n) {
        box.appendChild(element("span", label + ": " + n, { class: "visually-hidden" }));
        box.appendChild(element("span", String(n), { "aria-hidden": "true", "data-count": n }));
        return L.divIcon({ html: box, className: "live-cluster", iconSize: [30, 30] });
      }
      var shown = n <= 3 ? numbers.join(", ") : numbers.slice(0, 2).join(", ") + " +" + (n - 2);
      var said = label + ": " + n + " (" + numbers.join(", ") + ")";
      box.appendChild(element("span", said, { class: "visually-hidden" }));
      box.appendChild(element("span", shown, { "aria-hidden": "true", "data-count": n }));
      var width = Math.max(30, 16 + 8 * shown.length);
      return L.divIcon({ html: box, className: "live-cluster numbered-stack", iconSize: [width, 30] });
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

  // A marker with its number in the list: a blue disc like the list's (an SVG image made here
  // from a whole number only: images from data: are allowed by the pages' policy, scripts are
  // not), centred on the place.
  function numberedIcon(number) {
    var n = String(Math.max(0, Math.floor(Number(number)) || 0));
    var size = n.length > 2 ? 10 : 13;
    var svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28" viewBox="0 0 28 28">' +
      '<circle cx="14" cy="14" r="12.5" fill="#0b4f8a" stroke="#ffffff" stroke-width="2.5"/>' +
      '<text x="14" y="18.5" text-anchor="middle" font-family="Arial,sans-serif" ' +
      'font-weight="700" font-size="' + size + '" fill="#ffffff">' + n + "</text></svg>";
    return L.icon({
      iconUrl: "data:image/svg+xml," + encodeURIComponent(svg),
      iconSize: [28, 28],
      iconAnchor: [14, 14],
      popupAnchor: [0, -12],
      tooltipAnchor: [12, 0],
      className: "result-marker",
    });
  }

  function markersLayer(spec) {
    var stack = L.markerClusterGroup({
      maxClusterRadius: spec.stackRadius,
      showCoverageOnHover: false,
      iconCreateFunction: stackIcon(spec.stackLabel),
    });
    spec.pins.forEach(function (pin) {
      var options = { alt: pin.name };
      var title = pin.name;
      if (pin.number) {
        // The number as the list shows it: "3. Splott library".
        title = pin.number + ". " + pin.name;
        options = { alt: title, icon: numberedIcon(pin.number), number: pin.number };
      }
      L.marker([pin.lat, pin.lon], options)
        .bindTooltip(textNode(title, pin.lang), { sticky: true })
        .bindPopup(assetPopup(pin), { maxWidth: 300 })
        .addTo(stack);
    });
    return stack;
  }

  // Where the search was made from (a postcode, a place, the person's location): one marker
  // unlike an asset's, named for screen readers (its alt text). It takes no pointer or focus
  // and lies under the results' markers: a result there (often one, at the very postcode)
  // stays whole and easy to hit (WCAG 2.5.8).
  function searchedLayer(spec) {
    var group = L.featureGroup();
    var icon = L.icon({
      iconUrl: spec.icon.url,
      iconSize: spec.icon.size,
      iconAnchor: spec.icon.anchor,
      className: "searched-here",
    });
    if (spec.radius) {
      L.circle([spec.lat, spec.lon], {
        radius: spec.radius,
        interactive: false,
        color: "#1b1b1b",
        weight: 1.5,
        dashArray: "6 6",
        fill: false,
      }).addTo(group);
    }
    L.marker([spec.lat, spec.lon], {
      icon: icon,
      alt: spec.label,
      zIndexOffset: -1000,
      interactive: false,
      keyboard: false,
    }).addTo(group);
    return group;
  }

  // ---- context: area outlines and names, loaded by viewport ------------------------------

  function contextName(properties, lang) {
    var first = properties[lang === "cy" ? "name_cy" : "name_en"];
    var other = lang === "cy" ? "en" : "cy";
    if (first) {
      return { text: first, lang: lang };
    }
    return { text: properties["name_" + other] || "", lang: other };
  }

  function contextStyle(feature) {
    if (feature.properties.level === "local_authority") {
      return { color: "#3b3b3b", weight: 2.5, opacity: 0.9, dashArray: "8 5", fill: false };
    }
    return { color: "#5a5a5a", weight: 1, opacity: 0.8, fill: false };
  }

  function contextBox(map, maxDegrees) {
    var bounds = map.getBounds();
    var centre = map.getCenter();
    var half = maxDegrees / 2;
    return [
      Math.max(bounds.getWest(), centre.lng - half, -180),
      Math.max(bounds.getSouth(), centre.lat - half, -90),
      Math.min(bounds.getEast(), centre.lng + half, 180),
      Math.min(bounds.getNorth(), centre.lat + half, 90),
    ]
      .map(function (v) { return v.toFixed(4); })
      .join(",");
  }

  // Outlines under every other layer; names above the areas, below the markers (which they
  // must not cover), never taking a click or a pointer.
  function attachContext(map, spec) {
    map.createPane("context").style.zIndex = 350;
    map.createPane("contextLabels").style.zIndex = 550;
    map.getPane("contextLabels").style.pointerEvents = "none";
    var outlines = L.geoJSON(null, { pane: "context", interactive: false, style: contextStyle });
    var labels = L.layerGroup();
    outlines.addTo(map);
    labels.addTo(map);
    var controller = null;
    var timer = null;
    var shown = "";

    function draw(collection) {
      outlines.clearLayers();
      labels.clearLayers();
      outlines.addData(collection);
      collection.features.forEach(function (feature) {
        var properties = feature.properties;
        var name = contextName(properties, spec.lang);
        if (!properties.label || !name.text) {
          return;
        }
        L.tooltip({
          pane: "contextLabels",
          permanent: true,
          direction: "center",
          className: "context-label",
          interactive: false,
        })
          .setLatLng(properties.labelAt)
          .setContent(textNode(name.text, name.lang !== spec.lang ? name.lang : null))
          .addTo(labels);
      });
      declutter();
      map.getContainer().setAttribute("data-context-areas", String(collection.features.length));
    }

    // Names that would overprint one another: the first one drawn is kept, the others wait
    // until a closer zoom gives them room.
    function declutter() {
      var kept = [];
      labels.eachLayer(function (label) {
        var node = label.getElement();
        if (!node) {
          return;
        }
        node.classList.remove("context-label-hidden");
        var box = node.getBoundingClientRect();
        var clash = kept.some(function (other) {
          return box.left < other.right + 4 && box.right + 4 > other.left &&
            box.top < other.bottom && box.bottom > other.top;
        });
        if (clash) {
          node.classList.add("context-label-hidden");
        } else {
          kept.push(box);
        }
      });
    }

    function load() {
      var params = new URLSearchParams();
      params.set("bbox", contextBox(map, spec.maxDegrees));
      params.set("zoom", String(map.getZoom()));
      var wanted = params.toString();
      if (wanted === shown) {
        return;
      }
      if (controller) {
        controller.abort();
      }
      controller = new AbortController();
      fetch(spec.api + "?" + wanted, { signal: controller.signal, credentials: "omit" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("context " + response.status);
          }
          return response.json();
        })
        .then(function (collection) {
          shown = wanted;
          draw(collection);
        })
        .catch(function () {
          // Context helps; a map without it still works. The next move tries again.
        });
    }

    map.on("moveend", function () {
      clearTimeout(timer);
      timer = setTimeout(load, 200);
    });
    map.on("zoomend", declutter);
    load();
  }

  // The basemap's credit as the attribution control's HTML: the browser's serialisation of a
  // link (or text) built with textContent and setAttribute, so the setting's text stays text.
  function credit(basemap) {
    var link = basemap.attributionUrl;
    var node = /^https:\/\//.test(link || "")
      ? element("a", basemap.attribution, { href: link, rel: "noopener" })
      : element("span", basemap.attribution);
    return node.outerHTML;
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
        attribution: credit(data.basemap),
        maxZoom: data.maxZoom,
      }).addTo(map);
    }
    L.control.scale().addTo(map);
    if (data.bounds) {
      map.fitBounds(data.bounds, { maxZoom: data.fitMaxZoom, padding: [24, 24] });
    } else {
      map.setView([52.3, -3.8], 7);
    }
    if (data.context) {
      attachContext(map, data.context);
    }
    var sources = {};
    var overlays = [];
    data.layers.forEach(function (spec) {
      var layer = null;
      if (spec.type === "areas") {
        layer = areasLayer(spec);
        sources[spec.id] = spec;
      } else if (spec.type === "areaTiles" && L.vectorGrid) {
        layer = areaTilesLayer(spec, map, data.lang);
        sources[spec.id] = spec;
      } else if (spec.type === "categories") {
        layer = categoriesLayer(spec, sources[spec.source], data.lang);
      } else if (spec.type === "pins") {
        layer = pinsLayer(spec);
      } else if (spec.type === "markers") {
        layer = markersLayer(spec);
      } else if (spec.type === "live") {
        layer = liveLayer(spec);
      } else if (spec.type === "searched") {
        layer = searchedLayer(spec);
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
