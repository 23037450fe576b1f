/* nrm: the little script the pages use (no framework; a static file, allowed by the CSP). Every page
   works without it; it only adds:
   1. Stacked tables: on a narrow screen each row of a table.stack is a card; every cell is given
      its column's name (data-label) from the table head, unless the template set one.
   2. The idle sign-out: a warning a few minutes before it with a button to stay signed in, and the
      answers typed on a screening step saved into the sealed draft — every few seconds while the
      officer types, and at the warning — so signing in again resumes exactly there. */
(function () {
  "use strict";

  function labelStackedTables() {
    document.querySelectorAll("table.stack").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          if (!cell.hasAttribute("data-label") && heads[i] && !cell.hasAttribute("colspan")) {
            cell.setAttribute("data-label", heads[i]);
          }
        });
      });
    });
  }

  function idleWarning() {
    var body = document.body;
    if (!body.dataset.idleSeconds) { return; }
    var idle = parseInt(body.dataset.idleSeconds, 10);
    var warnAt = parseInt(body.dataset.warnSeconds, 10);
    var every = parseInt(body.dataset.autosaveSeconds, 10) * 1000;
    var deadline = Date.now() + idle * 1000;
    var banner = document.querySelector(".idle-warning");
    var count = banner && banner.querySelector(".idle-count");
    var form = document.querySelector("form[data-autosave]");
    var dirty = false, warned = false, lastSave = Date.now();

    function save() {
      if (!form || !dirty) { return Promise.resolve(); }
      var data = new FormData(form);
      data.set("action", "autosave");
      dirty = false;
      lastSave = Date.now();
      return fetch(form.getAttribute("action") || window.location.href,
                   {method: "POST", body: data, credentials: "same-origin"})
        .then(function (response) {
          var json = response.ok && (response.headers.get("content-type") || "").indexOf("json") >= 0;
          if (!json) { dirty = true; return null; }
          return response.json().then(function (answer) {
            if (answer.idle_seconds !== null && answer.idle_seconds !== undefined) {
              deadline = Date.now() + answer.idle_seconds * 1000;
              if (answer.idle_seconds > warnAt) { warned = false; if (banner) { banner.hidden = true; } }
            }
          });
        })
        .catch(function () { dirty = true; });
    }

    if (form) {
      form.addEventListener("input", function () { dirty = true; });
      form.addEventListener("change", function () { dirty = true; });
      form.addEventListener("submit", function () { dirty = false; });
    }

    function stay(event) {
      if (event) { event.preventDefault(); }
      var stayForm = banner.querySelector("form");
      fetch(stayForm.getAttribute("action"), {method: "POST", body: new FormData(stayForm),
                                              credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer) {
            deadline = Date.now() + answer.idle_seconds * 1000;
            warned = false;
            banner.hidden = true;
          }
        });
    }
    if (banner) { banner.querySelector("form").addEventListener("submit", stay); }

    window.setInterval(function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      if (dirty && Date.now() - lastSave >= every) { save(); }
      if (left <= warnAt && !warned) {
        warned = true;
        save();
        if (banner) { banner.hidden = false; }
      }
      if (count) { count.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2); }
      if (left === 0) {
        // the server has ended the session (a moment's margin, so that this request does not come
        // just before the end and start it again): the sign-in page brings the officer back here
        deadline = Date.now() + 3600 * 1000;
        window.setTimeout(function () { window.location.reload(); }, 3000);
      }
    }, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelStackedTables();
    idleWarning();
  });
})();
