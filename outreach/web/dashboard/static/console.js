// Small enhancements for the organiser console; every page works without them.
// - language variants as tabs; - live preview while typing; - live segment counts;
// - the launch button waits until the typed count is right (the server checks again).
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () { window.clearTimeout(timer); timer = window.setTimeout(fn, ms); };
  }

  function tabs(bar) {
    var form = bar.closest("form");
    var panels = Array.prototype.slice.call(form.querySelectorAll("fieldset.variant"));
    if (panels.length < 2) { return; }
    function show(i) {
      panels.forEach(function (p, j) { p.hidden = i !== j; });
      Array.prototype.forEach.call(bar.children, function (b, j) {
        b.setAttribute("aria-selected", String(i === j));
      });
      var select = document.getElementById("preview_language");
      if (select) { select.value = panels[i].getAttribute("data-language"); }
    }
    panels.forEach(function (p, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.setAttribute("role", "tab");
      b.setAttribute("aria-controls", p.id);
      b.textContent = p.getAttribute("data-label");
      b.addEventListener("click", function () { show(i); schedulePreview(); });
      bar.appendChild(b);
    });
    bar.hidden = false;
    var start = 0;
    var wanted = document.getElementById("preview_language");
    panels.forEach(function (p, i) {
      if (wanted && p.getAttribute("data-language") === wanted.value) { start = i; }
    });
    show(start);
  }

  var schedulePreview = function () {};

  function livePreview(form) {
    var button = document.getElementById("preview-button");
    if (!button || !form.requestSubmit) { return; }
    schedulePreview = debounce(function () { form.requestSubmit(button); }, 700);
    form.addEventListener("input", schedulePreview);
    var select = document.getElementById("preview_language");
    if (select) { select.addEventListener("change", schedulePreview); }
  }

  function copyToSave() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy-of]"), function (h) {
      var source = document.getElementById(h.getAttribute("data-copy-of"));
      if (source) { h.value = source.value; }
    });
  }

  function liveCount(form) {
    var url = form.getAttribute("data-count-url");
    var save = document.getElementById("save-segment");
    if (save) { save.addEventListener("submit", copyToSave); }
    form.addEventListener("input", copyToSave);  // at once: "Save" saves what is typed
    var update = debounce(function () {
      var params = new URLSearchParams(new FormData(form));
      fetch(url + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          if (d.error) { document.getElementById("segment-describe").textContent = d.error; return; }
          document.getElementById("segment-recipients").textContent = d.recipients;
          document.getElementById("segment-suppressed").textContent = d.suppressed;
          document.getElementById("segment-describe").textContent = d.segment;
        })
        .catch(function () { /* the Count button still works */ });
    }, 300);
    form.addEventListener("input", update);
    copyToSave();  // typed before this script ran
    update();
  }

  function launchGuard(input) {
    var button = document.getElementById("launch-button");
    var everyone = document.getElementById("confirm_everyone");
    function check() {
      var ok = input.value.replace(/[\s,]/g, "") === input.getAttribute("data-expect");
      button.disabled = !(ok && (!everyone || everyone.checked));
    }
    input.addEventListener("input", check);
    if (everyone) { everyone.addEventListener("change", check); }
    check();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.querySelector("[data-tabs]");
    var form = document.getElementById("alert-form");
    if (form) { livePreview(form); }
    if (bar) { tabs(bar); }
    var seg = document.getElementById("segment-form");
    if (seg) { liveCount(seg); }
    var confirm = document.getElementById("confirm_count");
    if (confirm) { launchGuard(confirm); }
  });
})();
