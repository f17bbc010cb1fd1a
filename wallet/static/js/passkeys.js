/* Passkeys (WebAuthn): sign in (a button, and the browser's own offer in the address field),
   confirm it's you, and add a passkey on the account page. Everything else works without
   JavaScript; these ceremonies cannot. Loaded as a file: the CSP allows no inline script. */
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // the [data-passkey-only] parts stay hidden
  }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    var main = document.querySelector("main[hx-headers]");
    try {
      return JSON.parse(main.getAttribute("hx-headers"))["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 401 && data.url) {
          window.location.assign(data.url); // confirm it's you first
          throw new Error("reauth");
        }
        if (!response.ok) {
          var error = new Error(data.message || "");
          error.shown = Boolean(data.message);
          throw error;
        }
        return data;
      });
    });
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return options;
  }

  function credentialJSON(credential) {
    var r = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      out.response.userHandle = r.userHandle ? toText(r.userHandle) : null;
    }
    return out;
  }

  // Go to the server's next page; a link to this same page with a #fragment would only
  // scroll, so load it again to show what changed.
  function go(url) {
    var target = new URL(url, window.location.href);
    var here = window.location;
    if (target.pathname === here.pathname && target.search === here.search) {
      here.hash = target.hash;
      here.reload();
    } else {
      here.assign(target.href);
    }
  }

  function status(box, text) {
    var line = box && box.querySelector("[data-passkey-status]");
    if (line) line.textContent = text || "";
  }

  function failed(box, error) {
    if (error && (error.name === "AbortError" || error.message === "reauth")) return;
    var text = error && error.shown ? error.message : box.getAttribute("data-failed") || "";
    status(box, text);
  }

  // One conditional request at a time; a button press replaces it with a modal one.
  var waiting = null;

  function assert(button, conditional) {
    var box = button.closest(".passkey-box");
    if (waiting) waiting.abort();
    var controller = new AbortController();
    if (conditional) waiting = controller;
    status(box, "");
    return post(button.getAttribute("data-options-url")).then(function (data) {
      var request = { publicKey: requestOptions(data.options), signal: controller.signal };
      if (conditional) request.mediation = "conditional";
      return navigator.credentials.get(request);
    }).then(function (credential) {
      return post(button.getAttribute("data-verify-url"), {
        credential: credentialJSON(credential),
        next: button.getAttribute("data-next") || ""
      });
    }).then(function (data) {
      go(data.redirect);
    }).catch(function (error) { failed(box, error); });
  }

  function register(form) {
    var box = form;
    status(box, "");
    post(form.getAttribute("data-options-url")).then(function (data) {
      return navigator.credentials.create({ publicKey: creationOptions(data.options) });
    }).then(function (credential) {
      return post(form.getAttribute("data-verify-url"), {
        name: form.querySelector("[name=name]").value,
        credential: credentialJSON(credential)
      });
    }).then(function (data) {
      go(data.redirect);
    }).catch(function (error) { failed(box, error); });
  }

  function start() {
    document.querySelectorAll("[data-passkey-only]").forEach(function (el) { el.hidden = false; });
    var login = document.querySelector("[data-passkey-login]");
    if (login) {
      login.addEventListener("click", function () { assert(login, false); });
      if (PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
          if (available) assert(login, true);
        });
      }
    }
    var reauth = document.querySelector("[data-passkey-reauth]");
    if (reauth) reauth.addEventListener("click", function () { assert(reauth, false); });
    var form = document.querySelector("form[data-passkey-register]");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        register(form);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
