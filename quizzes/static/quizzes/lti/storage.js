/* LTI platform storage (1EdTech "LTI Client Side postMessages", Platform Storage).

   The pages of quizzes/templates/quizzes/lti/storage_*.html carry their settings in a
   JSON block (#lti-storage); no inline script, so the site's CSP stays strict.

   mode "put" (the OIDC login): lti.put_data the login's state and nonce into the
   platform's storage frame, then continue to the platform's auth endpoint, whatever the
   answer (the state cookie may still do).
   mode "get" (the launch, when the state cookie did not come back): lti.get_data the
   state and post the launch again with it; the server checks it is this login's state.

   Messages go to the platform's origin only, and only answers from that origin, with
   the message_id we sent, count. */
(function () {
  "use strict";

  var node = document.getElementById("lti-storage");
  if (!node) { return; }
  var config = JSON.parse(node.textContent);

  function status(text) {
    var element = document.querySelector("[data-storage-status]");
    if (element) { element.textContent = text; }
  }

  function messageId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  /* The frame that answers: the parent itself for "_parent", else the parent's child
     frame of that name (named access works across origins). */
  function storageFrame() {
    var parent = window.parent;
    if (!parent || parent === window) { return null; }
    if (config.target === "_parent") { return parent; }
    try {
      return parent.frames[config.target] || null;
    } catch (error) {
      return null;
    }
  }

  function send(frame, message, onAnswer, onFailure) {
    var id = messageId();
    var done = false;
    function finish() {
      done = true;
      window.removeEventListener("message", listen);
      window.clearTimeout(timer);
    }
    function listen(event) {
      var data = event.data;
      if (done || event.origin !== config.origin || !data || typeof data !== "object") {
        return;
      }
      if (data.message_id !== id || data.subject !== message.subject + ".response") { return; }
      finish();
      if (data.error) {
        onFailure(String(data.error.code || data.error.message || "error"));
      } else {
        onAnswer(data);
      }
    }
    var timer = window.setTimeout(function () {
      if (!done) { finish(); onFailure("timeout"); }
    }, config.timeout_ms);
    window.addEventListener("message", listen);
    message.message_id = id;
    try {
      frame.postMessage(message, config.origin);
    } catch (error) {
      finish();
      onFailure("postMessage failed");
    }
  }

  function put() {
    var frame = storageFrame();
    var left = config.items.length;
    function next() {
      left -= 1;
      if (left === 0) { window.location.replace(config.redirect_url); }
    }
    if (!frame || left === 0) {
      window.location.replace(config.redirect_url);
      return;
    }
    config.items.forEach(function (item) {
      send(
        frame,
        { subject: "lti.put_data", key: item.key, value: item.value },
        next,
        next
      );
    });
  }

  function fail(reason) {
    status("");
    var failure = document.querySelector("[data-storage-failure]");
    if (failure) {
      failure.hidden = false;
      failure.setAttribute("data-reason", reason);
    }
  }

  function get() {
    var frame = storageFrame();
    if (!frame) { fail("no storage frame"); return; }
    send(
      frame,
      { subject: "lti.get_data", key: config.key },
      function (data) {
        if (data.key !== config.key || typeof data.value !== "string" || !data.value) {
          fail("no value");
          return;
        }
        var form = document.getElementById("lti-storage-launch");
        form.elements[config.field].value = data.value;
        form.submit();
      },
      fail
    );
  }

  if (config.mode === "put") { put(); } else if (config.mode === "get") { get(); }
})();
