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
    var form = liveForm();
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
    placeWarnings(root, form, errors);
  }

  // Values priced as given but unlikely (a call of over a day): a note beside the field.
  function placeWarnings(root, form, errors) {
    var source = root.querySelector("#field-warnings") || document.getElementById("field-warnings");
    if (!source) return;
    var warnings = JSON.parse(source.textContent);
    form.querySelectorAll(".field-warning").forEach(function (el) {
      var input = form.querySelector('[aria-describedby="' + CSS.escape(el.id) + '"]');
      if (input) input.removeAttribute("aria-describedby");
      el.remove();
    });
    Object.keys(warnings).forEach(function (name) {
      var input = form.querySelector('[name="' + CSS.escape(name) + '"]');
      if (!input || errors[name]) return;
      var message = document.createElement("span");
      message.className = "field-warning";
      message.id = "warn-" + name;
      message.textContent = warnings[name].join(" ");
      input.insertAdjacentElement("afterend", message);
      input.setAttribute("aria-describedby", message.id);
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
    var form = liveForm();
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
  // reads them far quicker this way (calculator/editor/jsonform.py; editor/fastpath.py says why).
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
    var form = liveForm();
    return form && document.getElementById(form.dataset.results);
  }

  // `coming`: an update is on its way (the figures are only marked as not current).
  function showStale(why, coming) {
    var results = liveResults();
    if (!results) return;
    var note = results.querySelector(".stale-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "alert stale-note";
      note.setAttribute("role", "alert");
      results.insertBefore(note, results.firstChild);
    }
    note.textContent = coming
      ? "Not current: " + why + "."
      : "Not updated: " + why + ". The figures below are for your last change " +
        "that was priced; keep editing to try again.";
    results.classList.add("stale");
  }


  // -- The figures on screen belong to the fields on screen; typed work is never lost ------
  // The editor's form (a scenario's or an estimate's) names its draft, its results and its
  // editor in data attributes (templates/editor.html, estimate.html).
  // The editor's form (a scenario's or an estimate's): its data attributes name the elements
  // of its results (data-results) and of the whole editor (data-editor).
  function liveForm() { return document.querySelector("form[data-draft-key]"); }

  // Fields that change neither the price nor the document: bulk add's sentence, the
  // estimate's pickers, the security token.
  var IGNORED = /^(csrfmiddlewaretoken$|bulk-|new_template$|new_saved$|new_link$|action$)/;

  // The form's fields as [name, value] pairs: as the user sees them now, or (`asServed`) as
  // the server wrote them into the page, which is what the server priced.
  function fieldPairs(form, asServed) {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      var type = el.type;
      if (!el.name || el.disabled || IGNORED.test(el.name)) return;
      if (type === "submit" || type === "button" || type === "reset" || type === "file") return;
      if (type === "checkbox" || type === "radio") {
        if (asServed ? el.defaultChecked : el.checked) pairs.push([el.name, el.value || "on"]);
      } else if (el.tagName === "SELECT") {
        var chosen = null;
        Array.prototype.forEach.call(el.options, function (option) {
          if (!chosen && (asServed ? option.defaultSelected : option.selected)) chosen = option;
        });
        if (!chosen && asServed && el.options.length) chosen = el.options[0];
        if (chosen) pairs.push([el.name, chosen.value]);
      } else {
        pairs.push([el.name, asServed ? el.defaultValue : el.value]);
      }
    });
    return pairs;
  }
  function stateOf(form, asServed) { return JSON.stringify(fieldPairs(form, asServed)); }

  // What the figures on screen were priced from, and the fields as the page was first served
  // (what is stored, or the template): set on load, and as updates come back.
  var priced = null;
  var served = null;

  function unsaved(form) {
    return form.hasAttribute("data-unsaved") || stateOf(form, false) !== served;
  }

  // Whatever the browser put back (the back/forward cache keeps a page as it was left, an
  // update perhaps still on its way; form restoration refills fields), the figures must be
  // those of the fields: if they are not, they are marked as not current and priced again.
  function checkFigures() {
    var form = liveForm();
    if (!form || priced === null || stateOf(form, false) === priced) return;
    showStale("the fields changed since these figures were priced; updating now", true);
    if (window.htmx) window.htmx.trigger(form, "chosen");
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = liveForm();
    if (form && event.detail.xhr) event.detail.xhr.fieldState = stateOf(form, false);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = liveForm();
    var target = event.detail.target;
    if (!form || !target) return;
    if (target.id === form.dataset.results && event.detail.xhr) {
      priced = event.detail.xhr.fieldState || priced;
    } else if (target.id === form.dataset.editor) {
      priced = stateOf(form, true);  // a whole editor: its fields as served were priced
    }
    keepDraftSoon();
  });

  // A draft of unsaved work, kept in this browser (localStorage): a reload, a crash or a
  // closed tab offers to restore it. One draft per thing edited: a saved scenario or
  // estimate by its link, and one for a new scenario and one for a new estimate.
  var DRAFT = "calc-draft:";
  var draftTimer = null;
  // This page wrote the draft under its key: only then may it take it away again (its work
  // undone by hand). Another tab's or page's draft under the same key is never removed here.
  var keptHere = false;

  // Where a form's draft is kept: a saved item's by its share key; a new one's by the
  // template the page was opened from (the page's address, which live updates never change),
  // so that one template's work is offered back on that template, not on every new page.
  function draftKey(form) {
    var key = DRAFT + form.dataset.draftKey;
    if (/:new$/.test(key)) key += ":" + (new URLSearchParams(location.search).get("template") || "");
    return key;
  }

  function keepDraft() {
    clearTimeout(draftTimer);
    var form = liveForm();
    if (!form || served === null) return;
    var key = draftKey(form);
    try {
      if (!unsaved(form)) {
        if (keptHere) localStorage.removeItem(key);
        keptHere = false;
        return;
      }
      keptHere = true;
      var name = form.querySelector('[name="name"]');
      localStorage.setItem(key, JSON.stringify({
        fields: fieldPairs(form, false),
        at: Date.now(),
        name: name ? name.value : "",
        url: location.pathname + location.search
      }));
    } catch (e) {
      // Storage full or turned off: the warning before leaving still stands.
    }
  }
  function keepDraftSoon() {
    var form = liveForm();
    clearTimeout(draftTimer);
    // A large scenario's fields take a while to read: kept less often as it grows.
    var wait = form ? Math.min(5000, 400 + form.elements.length / 20) : 400;
    draftTimer = setTimeout(keepDraft, wait);
  }
  document.addEventListener("input", function (event) {
    if (event.target.form && event.target.form.hasAttribute("data-draft-key")) keepDraftSoon();
  });

  // A message about the last action (an estimate's Add that added nothing) holds until the
  // next edit: the live update that follows redraws only the results.
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form) form.querySelectorAll("[data-until-edit]").forEach(function (el) { el.remove(); });
  });

  // A live form prices what is typed once typing pauses (its hx-trigger "typed delay:200ms"),
  // and a choice (a select, a checkbox, a radio button) at once ("chosen"): nobody is still
  // choosing after the click.
  var TYPED = /^(text|search|number|email|tel|url|password|textarea)$/;
  document.addEventListener("input", function (event) {
    var field = event.target;
    var form = field.form;
    if (!window.htmx || !form || !/\btyped\b/.test(form.getAttribute("hx-trigger") || "")) return;
    window.htmx.trigger(form, TYPED.test(field.type) ? "typed" : "chosen");
  });
  document.addEventListener("change", function (event) {
    if (event.target.form && event.target.form.hasAttribute("data-draft-key")) keepDraftSoon();
  });
  window.addEventListener("pagehide", keepDraft);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") keepDraft();
  });

  // Leaving with unsaved work asks first. A form posted on purpose (Save, Compare) takes the
  // work along, so it does not.
  var submittedAt = 0;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-draft-key")) return;
    submittedAt = Date.now();
    var button = event.submitter;
    if (button && button.name === "action" && /^save/.test(button.value)) {
      try { sessionStorage.setItem("calc-saving", draftKey(form)); } catch (e) { /* ignore */ }
    }
    var token = cookieToken();
    if (token) {
      form.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
        input.value = token;
      });
    }
  }, true);
  window.addEventListener("beforeunload", function (event) {
    var form = liveForm();
    if (!form || served === null || Date.now() - submittedAt < 10000 || !unsaved(form)) return;
    keepDraft();
    event.preventDefault();
    event.returnValue = "";
  });

  function since(at) {
    var minutes = Math.round((Date.now() - at) / 60000);
    var time = new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    if (minutes < 1) return "at " + time + " (just now)";
    if (minutes < 120) return "at " + time + " (" + minutes + " minute" + (minutes === 1 ? "" : "s") + " ago)";
    return "on " + new Date(at).toLocaleString();
  }

  // On load: a saved page drops the draft it was saved from; a draft that differs from what
  // is shown is offered back.
  function offerDraft(form) {
    var saving = null;
    try {
      saving = sessionStorage.getItem("calc-saving");
      sessionStorage.removeItem("calc-saving");
      if (saving && document.querySelector(".messages .saved")) localStorage.removeItem(saving);
    } catch (e) { /* ignore */ }
    var draft = null;
    try { draft = JSON.parse(localStorage.getItem(draftKey(form)) || "null"); } catch (e) { draft = null; }
    if (!draft || !draft.fields || JSON.stringify(draft.fields) === stateOf(form, false)) return;
    var editor = document.getElementById(form.dataset.editor);
    var offer = document.createElement("div");
    offer.className = "panel note draft-offer";
    offer.id = "draft-offer";
    offer.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = "This browser kept unsaved changes" +
      (draft.name ? " to “" + draft.name + "”" : "") + ", last made " + since(draft.at) +
      ". Restore them to go on where you left off, or discard them.";
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "primary";
    restore.id = "draft-restore";
    restore.textContent = "Restore my changes";
    var discard = document.createElement("button");
    discard.type = "button";
    discard.id = "draft-discard";
    discard.textContent = "Discard them";
    offer.append(text, restore, discard);
    editor.parentNode.insertBefore(offer, editor);
    discard.addEventListener("click", function () {
      try { localStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ }
      offer.remove();
    });
    restore.addEventListener("click", function () {
      var values = {};
      draft.fields.forEach(function (pair) {
        var name = pair[0];
        if (!Object.prototype.hasOwnProperty.call(values, name)) values[name] = pair[1];
        else if (Array.isArray(values[name])) values[name].push(pair[1]);
        else values[name] = [values[name], pair[1]];
      });
      values.action = "restore";
      restore.disabled = true;
      var current = liveForm();
      window.htmx.ajax("POST", current.getAttribute("action"), {
        target: "#" + current.dataset.editor, swap: "outerHTML", values: values
      }).then(function () { offer.remove(); });
    });
  }

  // -- A security token gone stale (signed in or out in another tab) never loses work --------
  function cookieToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : null;
  }
  // Every request carries the token of the browser's current cookie, not the one the page
  // was served with: signing in elsewhere rotates it.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = cookieToken();
    if (token) event.detail.headers["X-CSRFToken"] = token;
  });
  // Where the cookie cannot be read, a refused update gets a fresh token and is sent again,
  // once.
  function refreshToken() {
    return fetch("/csrf-token", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": data.token }));
        document.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
          input.value = data.token;
        });
      });
  }
  function retryAfterStaleToken(event) {
    var xhr = event.detail.xhr;
    var elt = event.detail.elt;
    if (!xhr || xhr.status !== 403 || !xhr.getResponseHeader("X-CSRF-Failure") || !elt) return false;
    if (elt.csrfRetried) return false;
    elt.csrfRetried = true;
    refreshToken().then(function () {
      if (elt.tagName === "FORM") window.htmx.trigger(elt, "chosen");
      else elt.click();
    }, function () {
      showStale("this page's security token expired and a new one could not be fetched; reload the page (what you typed is kept as a draft)");
    });
    return true;
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && event.detail.elt) event.detail.elt.csrfRetried = false;
  });

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
    if (retryAfterStaleToken(event)) return;
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var type = xhr ? xhr.getResponseHeader("Content-Type") || "" : "";
    // A refusal in words (a 400 names what it could not read; a 429 how long to wait).
    var said = type.indexOf("text/plain") === 0 && xhr.responseText.length < 500 ? xhr.responseText : "";
    if (said) showStale(said.replace(/[.\s]+$/, ""));
    else showStale(status === 429 ? "too many requests, wait a moment" :
      "the server answered " + status + (status >= 500 ? " (a problem on our side)" : ""));
  });
  document.addEventListener("htmx:sendError", function () {
    showStale("the server could not be reached (are you offline?)");
  });

  // A link to copy (a share link, a private edit link) gets a button that copies it.
  function addCopyButtons(root) {
    root.querySelectorAll("input.link-box").forEach(function (box) {
      if (box.nextElementSibling && box.nextElementSibling.hasAttribute("data-copy")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy-link";
      button.setAttribute("data-copy", "");
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy " + (box.getAttribute("aria-label") || "the link"));
      box.insertAdjacentElement("afterend", button);
    });
  }
  function copied(button, ok) {
    button.textContent = ok ? "Copied" : "Select and copy it";
    setTimeout(function () { button.textContent = "Copy"; }, 2000);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var box = button.previousElementSibling;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(function () { copied(button, true); },
        function () { copied(button, false); });
      return;
    }
    box.select();  // without the clipboard API (a page not served over HTTPS)
    var done = false;
    try { done = document.execCommand("copy"); } catch (error) { done = false; }
    copied(button, done);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var htmx = window.htmx;
    if (htmx) defineJsonForm(htmx);
    addCopyButtons(document);
    markScrollers(document);
    showCardDefaults(document);
    whenPlotly(function () { drawFigures(document, true); });
    // Content swapped in by htmx: redraw its figures, place its field errors. (The event
    // htmx.onLoad listens to, subscribed directly: onLoad itself fails once htmx has started.)
    document.addEventListener("htmx:load", function (event) {
      var el = event.detail && event.detail.elt;
      if (!el || el === document.body) return;
      addCopyButtons(el);
      var form = liveForm();
      if (form && (el.id === form.dataset.results || el.id === form.dataset.editor)) {
        placeErrors(el);
        showCardDefaults(el);
      }
      // The new totals and tables are painted first; the charts are redrawn right after, and
      // the tables' scroll boxes marked then too (measuring them lays the page out, which
      // would hold the totals back by a frame).
      requestAnimationFrame(function () {
        setTimeout(function () {
          markScrollers(el);
          whenPlotly(function () { drawFigures(el, false); });
        }, 0);
      });
    });
    // With live updates, Enter in a field has nothing left to submit (the editor's form is
    // replaced when rows are added, so this listens on the document).
    if (htmx) {
      document.addEventListener("keydown", function (event) {
        var field = event.target;
        if (event.key === "Enter" && field.tagName === "INPUT" && field.form &&
            field.form.hasAttribute("data-draft-key")) event.preventDefault();
      });
    }
    var form = liveForm();
    if (form) {
      served = stateOf(form, true);
      priced = served;
      if (htmx) offerDraft(form);
      checkFigures();
    }
  });
  // After a page comes back from the back/forward cache, or the browser refilled its fields.
  window.addEventListener("pageshow", checkFigures);
})();
