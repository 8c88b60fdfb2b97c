/* The planner's table, sorted in the browser: each sortable column heading (a link that sorts
 * on the server, `?sort=`) becomes a button that sorts the rows in place, in the same orders as
 * app/web/planner_table.py (numbers most first, then by code; pressed again, the other way
 * round). The CSV and print links and the page's address follow, so the CSV is the table as
 * shown. Without this script the links do the same on the server.
 */
(function () {
  "use strict";

  // Column key -> [row attribute, numeric]; numeric columns sort most first.
  var KEYS = {
    area: ["area", false],
    code: ["code", false],
    need: ["need", true],
    category: ["category", false],
    in_area: ["in_area", true],
    within: ["within", true],
    share: ["share", true],
  };

  function compareRows(key) {
    var spec = KEYS[key];
    return function (a, b) {
      var x = a.getAttribute("data-" + spec[0]);
      var y = b.getAttribute("data-" + spec[0]);
      var order;
      if (key === "category") {
        // As the server's priority: category, then most need first.
        order = Number(x) - Number(y) ||
          Number(b.getAttribute("data-need")) - Number(a.getAttribute("data-need"));
      } else if (spec[1]) {
        order = Number(y) - Number(x);
      } else {
        x = x.toLowerCase();
        y = y.toLowerCase();
        order = x < y ? -1 : x > y ? 1 : 0;
      }
      if (order !== 0) {
        return order;
      }
      var p = a.getAttribute("data-code");
      var q = b.getAttribute("data-code");
      return p < q ? -1 : p > q ? 1 : 0;
    };
  }

  function withSort(href, sort) {
    var url = new URL(href, window.location.href);
    url.searchParams.set("sort", sort);
    return url.pathname + url.search;
  }

  function enhance(table) {
    var body = table.tBodies[0];
    var headings = table.querySelectorAll("th[data-sort-key]");
    headings.forEach(function (th) {
      var link = th.querySelector("a");
      if (!link) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = link.textContent;
      th.replaceChild(button, link);
      button.addEventListener("click", function () {
        var key = th.getAttribute("data-sort-key");
        var current = new URL(window.location.href).searchParams.get("sort") || "priority";
        var sort = current === key ? "-" + key : key;
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(compareRows(key));
        if (sort.charAt(0) === "-") {
          rows.reverse();
        }
        rows.forEach(function (row) { body.appendChild(row); });
        headings.forEach(function (other) { other.removeAttribute("aria-sort"); });
        var numeric = KEYS[key][1];
        var reversed = sort.charAt(0) === "-";
        // Several columns share a key (value and decile both sort by need).
        table.querySelectorAll('th[data-sort-key="' + key + '"]').forEach(function (same) {
          same.setAttribute("aria-sort", numeric !== reversed ? "descending" : "ascending");
        });
        document.querySelectorAll("a.planner-csv, .planner-downloads a").forEach(
          function (a) { a.setAttribute("href", withSort(a.getAttribute("href"), sort)); }
        );
        document.querySelectorAll('form input[name="sort"]').forEach(function (input) {
          input.value = sort;
        });
        window.history.replaceState(null, "", withSort(window.location.href, sort));
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.planner-table[data-sortable]").forEach(enhance);
  });
})();
