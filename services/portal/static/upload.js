// Progressive enhancement of the evidence upload: the file is sent as the request body (no
// multipart), so the portal streams it on to the submissions service chunk by chunk; the
// progress bar follows the bytes sent, and the page reloads to show the ask satisfied.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form) { return; }
  var bar = document.getElementById("progress");
  var text = document.getElementById("progress-text");
  var error = document.getElementById("upload-error");
  function message(id) { return document.getElementById(id).innerHTML; }
  function show(percent) {
    bar.value = percent;
    bar.setAttribute("data-percent", String(percent));
    bar.textContent = percent + "%";
    text.textContent = percent + "%";
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = document.getElementById("file").files[0];
    if (!file) { return; }
    error.hidden = true;
    if (file.size <= 0 || file.size > Number(form.dataset.max)) {
      error.textContent = message("msg-too-large");
      error.hidden = false;
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    show(0);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.url);
    xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    var effective = document.getElementById("effective").value;
    if (effective) { xhr.setRequestHeader("X-Effective-Date", effective); }
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { show(Math.min(99, Math.floor(100 * e.loaded / e.total))); }
    });
    xhr.addEventListener("load", function () {
      button.disabled = false;
      var reply = {};
      try { reply = JSON.parse(xhr.responseText); } catch (ignored) { reply = {}; }
      if (xhr.status === 200) {
        show(100);
        text.textContent = message("msg-done") + " " + (reply.message || "");
        form.dataset.done = "1";
        window.setTimeout(function () { window.location.reload(); }, 600);
      } else {
        error.textContent = message("msg-failed") + " " + (reply.error || xhr.status);
        error.hidden = false;
      }
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      error.textContent = message("msg-failed");
      error.hidden = false;
    });
    xhr.send(file);
  });
}());
