/* The live assets layer (app/maps/live.py): on load and after every move, fetch the clusters
 * or points of the current view from /api/v1/map/assets and draw them; keep the list twin
 * (templates/_live_list.html) and its download links showing the same view.
 *
 * User text (asset names) reaches the DOM only through textContent and DOM nodes handed to
 * Leaflet: never innerHTML, never an HTML string to bindPopup/bindTooltip.
 */
(function () {
  "use strict";

  function fill(template, n) {
    return template.replace("%(num)d", String(n));
  }

  function plural(forms, lang, n) {
    var category = "other";
    try {
      category = new Intl.PluralRules(lang).select(n);
    } catch (e) {
      category = n === 1 ? "one" : "other";
    }
    return fill(forms[category] || forms.other, n);
  }

  function element(tag, text, attributes) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    return node;
  }

  // An asset's name in the page's language, else in the other, with that language's code.
  function nameOf(properties, lang) {
    var first = lang === "cy" ? "name_cy" : "name_en";
    var second = lang === "cy" ? "name_en" : "name_cy";
    if (properties[first]) {
      return { text: properties[first], lang: lang };
    }
    return { text: properties[second] || "", lang: lang === "cy" ? "en" : "cy" };
  }

  // The name as a span (marked with its language when it is the other one) and, when it fell
  // back, the visible note "(in English)" / "(in Welsh)".
  function nameNodes(name, config) {
    var nodes = [];
    var span = element("span", name.text);
    if (name.lang !== config.lang) {
      span.setAttribute("lang", name.lang);
    }
    nodes.push(span);
    if (name.lang !== config.lang) {
      nodes.push(document.createTextNode(" "));
      var note = name.lang === "en" ? config.messages.inEnglish : config.messages.inWelsh;
      nodes.push(element("span", note, { "class": "live-fallback" }));
    }
    return nodes;
  }

  function popupNode(feature, name, config) {
    var box = element("div", null, { "class": "live-popup" });
    var title = element("strong");
    nameNodes(name, config).forEach(function (node) {
      title.appendChild(node);
    });
    box.appendChild(title);
    box.appendChild(element("br"));
    box.appendChild(
      element("a", config.messages.more, {
        href: config.assetPath + encodeURIComponent(String(feature.properties.id)),
      })
    );
    return box;
  }

  // The view as the API's bbox: clamped to the world and to the largest box it accepts.
  function viewBox(map, maxDegrees) {
    var bounds = map.getBounds();
    var centre = map.getCenter();
    var half = maxDegrees / 2;
    var west = Math.max(bounds.getWest(), centre.lng - half, -180);
    var east = Math.min(bounds.getEast(), centre.lng + half, 180);
    var south = Math.max(bounds.getSouth(), centre.lat - half, -90);
    var north = Math.min(bounds.getNorth(), centre.lat + half, 90);
    return [west, south, east, north]
      .map(function (v) {
        return v.toFixed(6);
      })
      .join(",");
  }

  function query(config, box) {
    var params = new URLSearchParams();
    params.set("bbox", box);
    config.kinds.forEach(function (kind) {
      params.append("kind", kind);
    });
    config.themes.forEach(function (theme) {
      params.append("theme", theme);
    });
    return params;
  }

  function listParts(config) {
    var region = document.getElementById(config.listId);
    if (!region) {
      return null;
    }
    return {
      region: region,
      summary: region.querySelector("[data-live-summary]"),
      items: region.querySelector("[data-live-items]"),
      downloads: region.querySelectorAll("a[data-live-download]"),
    };
  }

  function attach(layer, config) {
    var map = null;
    var controller = null;
    var list = null;
    var maxDegrees = config.maxDegrees || 10;

    function setSummary(text) {
      if (list && list.summary) {
        list.summary.textContent = text;
      }
    }

    function updateDownloads(box) {
      if (!list) {
        return;
      }
      Array.prototype.forEach.call(list.downloads, function (link) {
        var params = query(config, box);
        params.set("f", link.getAttribute("data-live-download"));
        link.setAttribute("href", config.download + "?" + params.toString());
      });
    }

    // Clusters of neighbouring grid cells can fall close together on screen: merge those that
    // would overlap (their counts add up; the merged one sits at their weighted mean).
    function merged(features) {
      var kept = [];
      features.forEach(function (feature) {
        var c = feature.geometry.coordinates;
        var at = map.latLngToLayerPoint([c[1], c[0]]);
        var n = feature.properties.count;
        var near = null;
        for (var i = 0; i < kept.length && !near; i++) {
          if (kept[i].at.distanceTo(at) < 52) {
            near = kept[i];
          }
        }
        if (near) {
          var total = near.n + n;
          near.lon = (near.lon * near.n + c[0] * n) / total;
          near.lat = (near.lat * near.n + c[1] * n) / total;
          near.n = total;
        } else {
          kept.push({ at: at, n: n, lon: c[0], lat: c[1] });
        }
      });
      return kept.map(function (k) {
        return { properties: { count: k.n }, geometry: { coordinates: [k.lon, k.lat] } };
      });
    }

    function drawClusters(body) {
      merged(body.features).forEach(function (feature) {
        var count = feature.properties.count;
        var coordinates = feature.geometry.coordinates;
        var size = count < 10 ? 30 : count < 100 ? 36 : count < 1000 ? 42 : 50;
        var label = element("span", String(count), { "aria-hidden": "true" });
        var icon = L.divIcon({
          html: label,
          className: "live-cluster",
          iconSize: [size, size],
        });
        var marker = L.marker([coordinates[1], coordinates[0]], { icon: icon, keyboard: true });
        marker.on("add", function () {
          var node = marker.getElement();
          if (node) {
            node.setAttribute("aria-label", plural(config.messages.cluster, config.lang, count));
          }
        });
        marker.on("click", function () {
          map.setView(marker.getLatLng(), Math.min(map.getZoom() + 2, map.getMaxZoom()));
        });
        layer.addLayer(marker);
      });
    }

    // A list item linking to an asset's page, its name in the page's language (or marked as
    // the other's), as DOM text only.
    function listItem(feature) {
      var item = element("li");
      var link = element("a", null, {
        href: config.assetPath + encodeURIComponent(String(feature.properties.id)),
      });
      nameNodes(nameOf(feature.properties, config.lang), config).forEach(function (node) {
        link.appendChild(node);
      });
      item.appendChild(link);
      return item;
    }

    function drawPoint(feature) {
      var coordinates = feature.geometry.coordinates;
      var name = nameOf(feature.properties, config.lang);
      var marker = L.marker([coordinates[1], coordinates[0]], { alt: name.text, keyboard: true });
      marker.bindTooltip(element("span", name.text, name.lang === config.lang ? {} : { lang: name.lang }));
      marker.bindPopup(popupNode(feature, name, config));
      layer.addLayer(marker);
    }

    // Points whose markers would overlap on screen (same building, next door) are drawn as one
    // numbered marker: overlapping markers hide each other from pointers and touch (WCAG 2.5.8).
    // It zooms in to them, or at the closest zoom opens a list of links to each.
    function drawStack(features) {
      var bounds = L.latLngBounds(features.map(function (feature) {
        var c = feature.geometry.coordinates;
        return [c[1], c[0]];
      }));
      var count = features.length;
      var icon = L.divIcon({
        html: element("span", String(count), { "aria-hidden": "true" }),
        className: "live-cluster",
        iconSize: [30, 30],
      });
      var marker = L.marker(bounds.getCenter(), { icon: icon, keyboard: true });
      marker.on("add", function () {
        var node = marker.getElement();
        if (node) {
          node.setAttribute("aria-label", plural(config.messages.cluster, config.lang, count));
        }
      });
      if (map.getZoom() >= map.getMaxZoom()) {
        var listNode = element("ul", null, { class: "live-stack" });
        features.forEach(function (feature) {
          listNode.appendChild(listItem(feature));
        });
        marker.bindPopup(listNode);
      } else {
        marker.on("click", function () {
          map.fitBounds(bounds, { maxZoom: map.getMaxZoom() });
        });
      }
      layer.addLayer(marker);
    }

    // A marker under one of the map's controls (zoom, layers) cannot be pressed where it is
    // covered, and a keyboard would stop on something half hidden: it stays drawn, but out of
    // the tab order and the accessibility tree (the list beside the map names it; moving the
    // map brings it out).
    function hideUnderControls() {
      var controls = Array.prototype.map.call(
        map.getContainer().querySelectorAll(".leaflet-control"),
        function (control) { return control.getBoundingClientRect(); }
      );
      layer.eachLayer(function (marker) {
        var icon = marker.getElement && marker.getElement();
        if (!icon) {
          return;
        }
        var box = icon.getBoundingClientRect();
        var under = controls.some(function (c) {
          return box.left < c.right && box.right > c.left && box.top < c.bottom && box.bottom > c.top;
        });
        if (under) {
          icon.setAttribute("tabindex", "-1");
          icon.setAttribute("aria-hidden", "true");
          icon.removeAttribute("role");
        }
      });
    }

    function drawPoints(body) {
      var stacks = [];
      body.features.forEach(function (feature) {
        var c = feature.geometry.coordinates;
        var at = map.latLngToLayerPoint([c[1], c[0]]);
        var stack = null;
        for (var i = 0; i < stacks.length && !stack; i++) {
          // Leaflet's marker is 25 x 41 px: closer than that, two would overlap.
          if (Math.abs(stacks[i].at.x - at.x) < 26 && Math.abs(stacks[i].at.y - at.y) < 42) {
            stack = stacks[i];
          }
        }
        if (stack) {
          stack.features.push(feature);
        } else {
          stacks.push({ at: at, features: [feature] });
        }
      });
      stacks.forEach(function (stack) {
        if (stack.features.length === 1) {
          drawPoint(stack.features[0]);
        } else {
          drawStack(stack.features);
        }
      });
    }

    function fillList(body) {
      if (!list) {
        return;
      }
      var items = list.items;
      while (items && items.firstChild) {
        items.removeChild(items.firstChild);
      }
      if (body.total === 0) {
        setSummary(config.messages.none);
      } else if (body.mode === "clusters") {
        setSummary(plural(config.messages.zoomIn, config.lang, body.total));
      } else {
        setSummary(plural(config.messages.inView, config.lang, body.total));
        body.features.forEach(function (feature) {
          items.appendChild(listItem(feature));
        });
      }
      if (items) {
        items.hidden = body.mode !== "points" || body.total === 0;
      }
    }

    function load() {
      if (!map) {
        return;
      }
      if (controller) {
        controller.abort();
      }
      var mine = new AbortController();
      controller = mine;
      var box = viewBox(map, maxDegrees);
      var params = query(config, box);
      params.set("zoom", String(Math.round(map.getZoom())));
      updateDownloads(box);
      var container = map.getContainer();
      container.setAttribute("aria-busy", "true");
      fetch(config.api + "?" + params.toString(), {
        signal: mine.signal,
        headers: { Accept: "application/geo+json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (body) {
          if (controller !== mine || !map) {
            return;
          }
          layer.clearLayers();
          if (body.mode === "clusters") {
            drawClusters(body);
          } else {
            drawPoints(body);
          }
          hideUnderControls();
          fillList(body);
          container.setAttribute("data-live-mode", body.mode);
          container.setAttribute("data-loaded", "true");
          container.removeAttribute("aria-busy");
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            return;
          }
          container.removeAttribute("aria-busy");
          setSummary(config.messages.failed);
        });
    }

    layer.on("add", function () {
      map = layer._map;
      list = listParts(config);
      map.on("moveend", load);
      load();
    });
    layer.on("remove", function () {
      if (controller) {
        controller.abort();
        controller = null;
      }
      if (map) {
        map.off("moveend", load);
      }
      map = null;
    });
  }

  window.AssetmapLive = { attach: attach };
})();
