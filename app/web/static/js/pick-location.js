/* Choosing a place on a map for a form: a click (or Enter on the focused map, for its centre)
   sets the form's hidden lon and lat inputs, shows a marker there and says so in words.

   Markup: an element with data-pick-location (hidden until this script shows it: without
   JavaScript the form asks for a postcode instead), holding the map, with
     data-map            the id of the map element (maps.js builds the map)
     data-lon, data-lat  the ids of the hidden inputs to fill
     data-marker-label   the marker's alt text
     data-status-template  what to say, with {lat} and {lon} in it
   and inside it [data-pick-status] (a status line) and [data-pick-clear] (a button, hidden
   while no place is chosen: site.css makes [hidden] win over the button's display).
   Load this at the end of the page: it shows the boxes at once (so Leaflet sizes the map
   right) and attaches to the maps once maps.js has built them. User text goes in by textContent. */
(function () {
  "use strict";

  var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-pick-location]"));
  boxes.forEach(function (box) { box.hidden = false; });

  function round(value) {
    return Math.round(value * 1e6) / 1e6;
  }

  function attach(box, map) {
    var lon = document.getElementById(box.dataset.lon);
    var lat = document.getElementById(box.dataset.lat);
    if (!map || !lon || !lat) {
      return;
    }
    var status = box.querySelector("[data-pick-status]");
    var clear = box.querySelector("[data-pick-clear]");
    var marker = null;

    function show(point) {
      if (marker === null) {
        marker = L.marker(point, { alt: box.dataset.markerLabel, keyboard: false }).addTo(map);
      } else {
        marker.setLatLng(point);
      }
      status.textContent = box.dataset.statusTemplate
        .replace("{lat}", String(round(point.lat)))
        .replace("{lon}", String(round(point.lng)));
      clear.hidden = false;
    }

    function choose(point) {
      point = L.latLng(point).wrap();
      lon.value = String(round(point.lng));
      lat.value = String(round(point.lat));
      show(point);
    }

    map.on("click", function (event) { choose(event.latlng); });
    map.getContainer().addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target === map.getContainer()) {
        event.preventDefault();
        choose(map.getCenter());
      }
    });
    clear.addEventListener("click", function () {
      lon.value = "";
      lat.value = "";
      if (marker !== null) {
        map.removeLayer(marker);
        marker = null;
      }
      status.textContent = "";
      clear.hidden = true;
      map.getContainer().focus();
    });
    var x = parseFloat(lon.value);
    var y = parseFloat(lat.value);
    if (isFinite(x) && isFinite(y)) {
      show(L.latLng(y, x));
    }
  }

  boxes.forEach(function (box) {
    if (window.AssetmapMaps) {
      window.AssetmapMaps.ready(box.dataset.map, function (map) { attach(box, map); });
    }
  });
})();
