// The calculator's own script: draw figures, place field errors after a live update.
(function () {
  "use strict";
  document.documentElement.classList.replace("no-js", "js");

  // The figure text each chart was last drawn from: a live update that leaves a figure as it
  // was (a name typed, say, leaves the cost bars alone) does not redraw it.
  var drawnFrom = new WeakMap();

  // Charts away from the screen are redrawn when they come near it, not on every change made
  // in the rows above them, so typing in a long scenario is not held up by drawing nobody sees.
  var offScreen = new WeakMap();
  var watcher = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      offScreen.set(entry.target, !entry.isIntersecting);
      if (entry.isIntersecting) draw(entry.target);
    });
  }, { rootMargin: "300px 0px" }) : null;

  // No chart control may send a prospect's figures anywhere: plotly.js offers "Share chart"
  // (an upload to Plotly's cloud) unless told not to, whatever a figure says.
  function privateConfig(config) {
    var safe = Object.assign({}, config, {
      showSendToCloud: false, showEditInChartStudio: false, plotlyServerURL: ""
    });
    safe.modeBarButtonsToRemove = (safe.modeBarButtonsToRemove || []).concat(
      ["sendDataToCloud", "editInChartStudio"]);
    return safe;
  }

  function draw(el) {
    var source = document.getElementById(el.dataset.figure);
    if (!window.Plotly || !source || drawnFrom.get(el) === source.textContent) return;
    drawnFrom.set(el, source.textContent);
    var figure = JSON.parse(source.textContent);
    // The chart's element outlives live updates (hx-preserve), so Plotly.react redraws it
    // in place, only what changed, and keeps the user's zoom (layout.uirevision).
    window.Plotly.react(el, figure.data, figure.layout, privateConfig(figure.config));
  }

  // `everything`: the page's first drawing, which draws every chart.
  function drawFigures(root, everything) {
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      if (watcher) watcher.observe(el);
      if (everything || !offScreen.get(el)) draw(el);
    });
  }

  function placeErrors(root) {
    var source = root.querySelector("#field-errors") || document.getElementById("field-errors");
    var form = document.getElementById("scenario") || document.getElementById("estimate-form");
    if (!source || !form) return;
    var errors = JSON.parse(source.textContent);
    form.querySelectorAll(".field-error[data-live]").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      // Bulk add's fields are checked only when its button is pressed, not as the user types.
      if (!errors[el.name] && el.name.indexOf("bulk-") !== 0) {
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
        var old = document.getElementById("err-" + el.name);
        if (old) old.remove();
      }
    });
    Object.keys(errors).forEach(function (name) {
      var input = form.querySelector('[name="' + CSS.escape(name) + '"]');
      if (!input) return;
      var id = "err-" + name;
      var message = document.getElementById(id);
      if (!message) {
        message = document.createElement("span");
        message.className = "field-error";
        message.id = id;
        message.dataset.live = "1";
        input.insertAdjacentElement("afterend", message);
      }
      message.textContent = errors[name].join(" ");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
    });
  }

  // A table too wide (or tall) for its box scrolls inside it; with nothing focusable in it,
  // the keyboard could not scroll it, so such a box is made a focusable, named region while
  // it scrolls (a box that fits stays out of the tab order).
  function markScrollers(root) {
    root.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.dataset.scroller === "fixed") return;
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.querySelector("input, select, button, a[href], textarea")) {
        var caption = box.querySelector("caption");
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() : "Table") + " (scrolls)");
        box.dataset.scroller = "on";
      } else if (box.dataset.scroller === "on") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scroller;
      }
    });
  }
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { markScrollers(document); }, 150);
  });
  // A table inside <details> has no size until it is opened.
  document.addEventListener("toggle", function (event) { markScrollers(event.target); }, true);

  // The rate card's own values, shown in the empty override fields: what leaving one blank
  // means, for the card chosen now (the results carry them, as they change with the card).
  function showCardDefaults(root) {
    var source = root.querySelector("#card-defaults") || document.getElementById("card-defaults");
    var form = document.getElementById("scenario");
    if (!source || !form) return;
    var defaults = JSON.parse(source.textContent);
    Object.keys(defaults).forEach(function (name) {
      var input = form.querySelector('input[name="' + CSS.escape(name) + '"]');
      if (input) input.placeholder = defaults[name];
    });
  }

  function whenPlotly(callback) {
    if (window.Plotly || !document.querySelector("[data-figure]")) return callback();
    window.addEventListener("load", callback, { once: true });
  }

  // A form marked hx-ext="json-form" is sent as one JSON object of its fields instead of
  // URL-encoded pairs: the editor sends some 200 fields as the user types, and the server
  // reads them far quicker this way (calculator.middleware.JsonFormMiddleware).
  function defineJsonForm(htmx) {
    htmx.defineExtension("json-form", {
      onEvent: function (name, event) {
        if (name === "htmx:configRequest" && event.detail.verb !== "get") {
          event.detail.headers["Content-Type"] = "application/json";
          event.detail.headers["X-Form-Encoding"] = "json";
        }
      },
      encodeParameters: function (xhr, parameters) {
        var fields = {};
        parameters.forEach(function (value, key) {
          if (!Object.prototype.hasOwnProperty.call(fields, key)) fields[key] = value;
          else if (Array.isArray(fields[key])) fields[key].push(value);
          else fields[key] = [fields[key], value];
        });
        return JSON.stringify(fields);
      }
    });
  }

  // A live update the server refused or never got: the figures on screen are the last ones
  // priced, and must not pass for the current ones. The next update that succeeds replaces
  // the results, this warning with them.
  function liveResults() {
    return document.getElementById("results") || document.getElementById("estimate-results");
  }

  function showStale(why) {
    var results = liveResults();
    if (!results) return;
    var note = results.querySelector(".stale-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "alert stale-note";
      note.setAttribute("role", "alert");
      results.insertBefore(note, results.firstChild);
    }
    note.textContent = "Not updated: " + why + ". The figures below are for your last change " +
      "that was priced; keep editing to try again.";
    results.classList.add("stale");
  }

  // Assistive technology hears of a pending update the way sighted users see "Updating…".
  function setBusy(busy) {
    var results = liveResults();
    if (results) results.setAttribute("aria-busy", busy ? "true" : "false");
  }
  document.addEventListener("htmx:beforeRequest", function () { setBusy(true); });
  document.addEventListener("htmx:afterRequest", function () { setBusy(false); });

  // htmx puts the new content in before it takes the old out, and Chromium takes a form's
  // inputs out slowly while another form's are on the page (each input's removal looks at
  // them all): with a thousand participants (ten thousand inputs) adding a row took seconds.
  // So the outgoing form goes first, alone; the new editor replaces it in the same moment.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var form = target && event.detail.shouldSwap && target.id === "editor" && target.querySelector("form");
    if (form) form.remove();
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showStale(status === 429 ? "too many requests, wait a moment" :
      "the server answered " + status + (status >= 500 ? " (a problem on our side)" : ""));
  });
  document.addEventListener("htmx:sendError", function () {
    showStale("the server could not be reached (are you offline?)");
  });

  document.addEventListener("DOMContentLoaded", function () {
    var htmx = window.htmx;
    if (htmx) defineJsonForm(htmx);
    markScrollers(document);
    showCardDefaults(document);
    whenPlotly(function () { drawFigures(document, true); });
    // Content swapped in by htmx: redraw its figures, place its field errors. (The event
    // htmx.onLoad listens to, subscribed directly: onLoad itself fails once htmx has started.)
    document.addEventListener("htmx:load", function (event) {
      var el = event.detail && event.detail.elt;
      if (!el || el === document.body) return;
      if (["results", "editor", "estimate-results", "estimate"].indexOf(el.id) !== -1) {
        placeErrors(el);
        showCardDefaults(el);
      }
      markScrollers(el);
      // The new totals and tables are painted first, the charts redrawn right after.
      whenPlotly(function () {
        requestAnimationFrame(function () { setTimeout(function () { drawFigures(el, false); }, 0); });
      });
    });
    // With live updates, Enter in a field has nothing left to submit.
    var form = document.getElementById("scenario") || document.getElementById("estimate-form");
    if (form && htmx) {
      form.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
      });
    }
  });
})();
