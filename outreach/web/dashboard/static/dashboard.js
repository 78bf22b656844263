// Live progress: poll the JSON endpoint named by [data-poll] every 2 s and update the page.
// Without JavaScript the page falls back to <noscript><meta refresh> and a Refresh link.
(function () {
  "use strict";
  var INTERVAL = 2000;

  function setText(root, selector, value) {
    var el = root.querySelector(selector);
    if (el && value !== undefined && value !== null && el.textContent !== String(value)) {
      el.textContent = String(value);
    }
  }

  function updateAlerts(table, data) {
    (data.alerts || []).forEach(function (a) {
      var row = table.querySelector('tr[data-alert="' + a.id + '"]');
      if (!row) { return; }
      var c = a.counts || {};
      var open = (c.queued || 0) + (c.sending || 0) + (c.deferred || 0);
      setText(row, '[data-field="state"]', a.state);
      setText(row, '[data-field="sent"]', a.sent);
      setText(row, '[data-field="total"]', a.total);
      setText(row, '[data-field="replies"]', a.replies);
      var bar = row.querySelector('[data-field="progress"]');
      if (bar) { bar.max = a.total || 1; bar.value = a.total - open; }
    });
  }

  var SETTLED = ["done", "cancelled", "paused"];

  function updateAlert(section, data) {
    // The reach table and chart are drawn on the server: once the alert settles, redraw them.
    var shown = section.getAttribute("data-state");
    if (shown && data.state !== shown && SETTLED.indexOf(data.state) >= 0) {
      window.location.reload();
      return;
    }
    setText(section, '[data-field="state"]', data.state);
    setText(section, '[data-field="total"]', data.total);
    setText(section, '[data-field="replies"]', data.replies);
    setText(section, '[data-field="replies-word"]', data.replies === 1 ? "reply" : "replies");
    var warning = section.querySelector('[data-field="warning"]');
    if (warning) { warning.textContent = data.warning || ""; warning.hidden = !data.warning; }
    Object.keys(data.counts || {}).forEach(function (status) {
      setText(section, '[data-count="' + status + '"]', data.counts[status]);
    });
    // show only the buttons the new state allows (the server checks again on POST)
    Array.prototype.forEach.call(document.querySelectorAll("form[data-action]"), function (f) {
      f.hidden = (data.actions || []).indexOf(f.getAttribute("data-action")) < 0;
    });
  }

  function poll(el) {
    var url = el.getAttribute("data-poll");
    function tick() {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          if (data.alerts) { updateAlerts(el, data); } else { updateAlert(el, data); }
        })
        .catch(function () { /* keep the last numbers; try again next tick */ });
    }
    window.setInterval(tick, INTERVAL);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), poll);
  });
})();
