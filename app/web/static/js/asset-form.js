/* The asset form's map: a click sets the longitude and latitude fields; the postcode button
   looks the postcode up and moves the marker there. Text reaches the page only as textContent. */
(function () {
  "use strict";
  var form = document.getElementById("asset-form");
  if (!form) { return; }
  var map = null;
  var lon = document.getElementById("lon");
  var lat = document.getElementById("lat");
  var postcode = document.getElementById("postcode");
  var lookup = document.getElementById("postcode-lookup");
  var status = document.getElementById("location-status");
  var consent = document.getElementById("consent-fieldset");
  var marker = null;

  function say(text) { status.textContent = text; }

  function place(lonValue, latValue, centre) {
    if (!map || !window.L) { return; }
    var where = [latValue, lonValue];
    if (marker) {
      marker.setLatLng(where);
    } else {
      marker = window.L.marker(where, {alt: form.getAttribute("data-marker-label"), keyboard: false}).addTo(map);
    }
    if (centre) { map.setView(where, Math.max(map.getZoom(), 15)); }
  }

  function fromFields(centre) {
    var x = parseFloat(lon.value), y = parseFloat(lat.value);
    if (isFinite(x) && isFinite(y) && x >= -180 && x <= 180 && y >= -90 && y <= 90) {
      place(x, y, centre);
    }
  }

  function setFields(x, y) {
    lon.value = x.toFixed(6);
    lat.value = y.toFixed(6);
  }

  if (window.AssetmapMaps) {
    window.AssetmapMaps.ready(form.getAttribute("data-map"), function (built) {
      map = built;
      map.on("click", function (event) {
        setFields(event.latlng.lng, event.latlng.lat);
        place(event.latlng.lng, event.latlng.lat, false);
        say(form.getAttribute("data-placed"));
      });
      fromFields(false);
    });
  }
  lon.addEventListener("change", function () { fromFields(true); });
  lat.addEventListener("change", function () { fromFields(true); });

  lookup.addEventListener("click", function () {
    var text = postcode.value.trim();
    if (!text) { say(form.getAttribute("data-postcode-empty")); postcode.focus(); return; }
    fetch("/api/v1/postcodes/" + encodeURIComponent(text), {headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (body) {
        var c = body.location.coordinates;
        setFields(c[0], c[1]);
        place(c[0], c[1], true);
        say(form.getAttribute("data-postcode-found"));
      })
      .catch(function () { say(form.getAttribute("data-postcode-unknown")); });
  });

  /* Consent is asked only for a person's skill or volunteering. */
  function showConsent() {
    if (!consent) { return; }
    var chosen = form.querySelector("input[name=kind]:checked");
    consent.hidden = !(chosen && (chosen.value === "skill" || chosen.value === "volunteer"));
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=kind]"), function (input) {
    input.addEventListener("change", showConsent);
  });
  showConsent();

  /* After a refused save, start at the list of problems (it links to each field). */
  var summary = document.querySelector(".error-summary, .conflict");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }
}());
