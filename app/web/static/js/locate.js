/* "Use my location": shown only where the browser can tell where it is (progressive
   enhancement; without JavaScript or geolocation the postcode search is all there is).
   Goes to the search form's own address with ?near=LAT,LON, keeping the ticked filters. */
(function () {
  "use strict";
  if (!("geolocation" in navigator)) {
    return;
  }
  document.querySelectorAll("[data-locate]").forEach(function (box) {
    var form = box.closest("form");
    var button = box.querySelector("button");
    var status = box.querySelector("[role=status]");
    if (!form || !button || !status) {
      return;
    }
    box.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = box.getAttribute("data-finding");
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          // 3 decimal places is about 100 m: residents' own places stay coarse, in the
          // address bar, the server's logs and the browser's history alike.
          var lat = position.coords.latitude.toFixed(3);
          var lon = position.coords.longitude.toFixed(3);
          var params = new URLSearchParams();
          new FormData(form).forEach(function (value, name) {
            if (name !== "q" && name !== "near") {
              params.append(name, value);
            }
          });
          params.set("near", lat + "," + lon);
          window.location.assign(form.getAttribute("action") + "?" + params.toString());
        },
        function () {
          status.textContent = box.getAttribute("data-failed");
          button.disabled = false;
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
      );
    });
  });
})();
