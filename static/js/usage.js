// The usage page: the file sent with a progress bar for the upload, then the pricing's
// progress read from the answer as it streams (JSON lines), then on to the report. A header
// that does not name the columns asks which is which, keeps the answer in the address and
// sends the same file again. Without this script the form posts as any form does.
(function () {
  "use strict";

  var form = document.querySelector("[data-usage-form]");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var input = form.querySelector("input[type=file]");
  var drop = form.querySelector("[data-drop]");
  var chosen = form.querySelector("[data-chosen]");
  var problems = form.querySelector("[data-problems]");
  var mappingBox = form.querySelector("[data-mapping]");
  var progressBox = form.querySelector("[data-progress]");
  var uploadBar = form.querySelector("[data-upload]");
  var uploadText = form.querySelector("[data-upload-text]");
  var pricingBar = form.querySelector("[data-pricing]");
  var pricingText = form.querySelector("[data-pricing-text]");
  var submit = form.querySelector("[data-submit]");
  var file = null;
  var STAGES = { received: "received", reading: "reading the records", pricing: "pricing under every model", keeping: "keeping the report" };
  var COLUMNS = ["session", "kind", "name", "start", "end", "media", "endpoint", "direction", "publish", "streams", "subscribes"];

  function size(bytes) {
    if (bytes < 1e3) return bytes + " bytes";
    if (bytes < 1e6) return (bytes / 1e3).toFixed(1) + " KB";
    return (bytes / 1e6).toFixed(1) + " MB";
  }

  function choose(picked) {
    file = picked || null;
    chosen.textContent = file ? file.name + " (" + size(file.size) + ")" : "";
  }

  input.addEventListener("change", function () { choose(input.files[0]); });
  // Back from a report, the browser may still show the file chosen: it is the one to send.
  choose(input.files[0]);
  window.addEventListener("pageshow", function () {
    choose(input.files[0]);
    submit.disabled = false;
    progressBox.hidden = true;
  });
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) { event.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) choose(event.dataTransfer.files[0]);
  });

  function say(list, heading) {
    problems.textContent = "";
    if (!list || !list.length) { problems.hidden = true; return; }
    var head = document.createElement("p");
    head.textContent = heading || "The file was not priced:";
    var ul = document.createElement("ul");
    list.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      ul.appendChild(li);
    });
    problems.appendChild(head);
    problems.appendChild(ul);
    problems.hidden = false;
    problems.focus && problems.setAttribute("tabindex", "-1");
  }

  function columnsFromAddress() {
    var query = new URLSearchParams(window.location.search);
    var found = {};
    COLUMNS.forEach(function (ours) {
      var theirs = query.get("column_" + ours);
      if (theirs) found[ours] = theirs;
    });
    return found;
  }

  // The mapping step, drawn by the server (templates/_usage_mapping.html, as the page
  // without this script draws it), with the columns it could tell chosen.
  function askMapping(mapping) {
    mappingBox.innerHTML = mapping.html;
    mappingBox.hidden = false;
    submit.textContent = "Price the file with these columns";
    var first = mappingBox.querySelector("select");
    if (first) first.focus();
  }

  // The columns said in the mapping step, into the page's address (kept for the next upload).
  function keepMapping() {
    if (mappingBox.hidden) return;
    var query = new URLSearchParams(window.location.search);
    COLUMNS.forEach(function (ours) { query.delete("column_" + ours); });
    mappingBox.querySelectorAll("[data-map]").forEach(function (select) {
      if (select.value) query.set("column_" + select.getAttribute("data-map"), select.value);
    });
    window.history.replaceState(null, "", window.location.pathname + "?" + query.toString());
  }

  function send() {
    if (!file) { say(["Choose a usage file (CSV) to upload."], "No file yet:"); input.focus(); return; }
    keepMapping();
    say([]);
    mappingBox.hidden = true;
    submit.textContent = "Price the file";
    var data = new FormData(form);
    data.delete("file");
    form.querySelectorAll("[data-column]").forEach(function (hidden) { data.delete(hidden.name); });
    var columns = columnsFromAddress();
    Object.keys(columns).forEach(function (ours) { data.set("column_" + ours, columns[ours]); });
    data.append("file", file, file.name);
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.pathname);
    request.setRequestHeader("Accept", "application/x-ndjson");
    request.setRequestHeader("X-CSRFToken", data.get("csrfmiddlewaretoken"));
    progressBox.hidden = false;
    uploadBar.value = 0; pricingBar.value = 0;
    uploadText.textContent = "starting"; pricingText.textContent = "waiting for the upload";
    submit.disabled = true;
    var seen = 0;
    var finished = false;
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      uploadBar.value = event.loaded / event.total;
      uploadText.textContent = size(event.loaded) + " of " + size(event.total);
    });
    request.upload.addEventListener("load", function () {
      uploadBar.value = 1;
      uploadText.textContent = "sent";
      pricingText.textContent = "starting";
    });
    function read() {
      var text = request.responseText;
      var end = text.lastIndexOf("\n");
      if (end < seen) return;
      text.slice(seen, end).split("\n").forEach(function (line) {
        if (!line.trim()) return;
        var message;
        try { message = JSON.parse(line); } catch (error) { return; }
        if (message.stage) {
          var part = { received: 0, reading: 0.05 + 0.55 * message.done, pricing: 0.6 + 0.35 * message.done, keeping: 0.97 }[message.stage];
          pricingBar.value = part || 0;
          var how = "";
          if (message.stage === "reading") how = " (" + Math.round(message.done * 100) + "% of the file)";
          if (message.stage === "pricing") how = " (" + Math.round(message.done * 4) + " of 4 models)";
          pricingText.textContent = (STAGES[message.stage] || message.stage) + how;
        } else if (message.url) {
          finished = true;
          pricingBar.value = 1;
          pricingText.textContent = "done: opening the report";
          window.location.assign(message.url);
        } else if (message.problems) {
          finished = true;
          progressBox.hidden = true;
          submit.disabled = false;
          say(message.problems);
          if (message.mapping) askMapping(message.mapping);
        }
      });
      seen = end + 1;
    }
    request.addEventListener("progress", read);
    request.addEventListener("load", function () {
      read();
      if (!finished) {
        progressBox.hidden = true;
        submit.disabled = false;
        say([request.status >= 400 ? "The upload was refused (" + request.status + "): " + (request.responseText.slice(0, 300) || request.statusText) : "The answer ended before the report was ready: try again."]);
      }
    });
    request.addEventListener("error", function () {
      progressBox.hidden = true;
      submit.disabled = false;
      say(["The upload failed: the connection was lost. Try again."]);
    });
    request.send(data);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send();
  });
})();
