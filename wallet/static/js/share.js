// Share panel enhancements: system share sheet, copy signature as rich HTML, LINE app link on
// phones, copy buttons shown only when they can work. Without JavaScript the panel still has
// plain links and readonly sources to select and copy.
(function () {
  "use strict";
  if (window.badgeWalletShare) { return; }  // loaded once per page
  window.badgeWalletShare = true;

  function say(button, attribute) {
    var text = button.getAttribute(attribute);
    if (text) { button.textContent = text; }
  }

  function copyText(text) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text);
    }
    return Promise.reject(new Error("no clipboard"));
  }

  // A copy event carrying both flavours, fired by execCommand("copy").
  function copyWithEvent(html, plain) {
    var done = false;
    function onCopy(event) {
      event.clipboardData.setData("text/html", html);
      event.clipboardData.setData("text/plain", plain);
      event.preventDefault();
      done = true;
    }
    document.addEventListener("copy", onCopy);
    try { document.execCommand("copy"); } catch (ignored) { done = false; }
    document.removeEventListener("copy", onCopy);
    return done;
  }

  // The copy event first: Chromium's async clipboard parses text/html in this page to sanitize
  // it, and every style="" of the signature is then reported as a CSP (style-src) violation.
  function copyHtml(html, plain) {
    if (copyWithEvent(html, plain)) { return Promise.resolve(); }
    if (navigator.clipboard && navigator.clipboard.write && window.ClipboardItem) {
      var item = new window.ClipboardItem({
        "text/html": new Blob([html], { type: "text/html" }),
        "text/plain": new Blob([plain], { type: "text/plain" })
      });
      return navigator.clipboard.write([item]);
    }
    return Promise.reject(new Error("copy failed"));
  }

  function enhance(root) {
    var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    root.querySelectorAll("[data-needs-js]").forEach(function (element) {
      if (element.hasAttribute("data-copy-target") && !navigator.clipboard) { return; }
      element.hidden = false;
    });
    if (navigator.share) {
      root.querySelectorAll("[data-web-share]").forEach(function (button) { button.hidden = false; });
    }
    if (coarse) {
      root.querySelectorAll("a[data-mobile-href]").forEach(function (link) {
        link.setAttribute("href", link.getAttribute("data-mobile-href"));
      });
    }
  }

  document.addEventListener("click", function (event) {
    var shareButton = event.target.closest("[data-web-share]");
    if (shareButton) {
      event.preventDefault();
      var data = {
        title: shareButton.getAttribute("data-share-title") || "",
        text: shareButton.getAttribute("data-share-text") || "",
        url: shareButton.getAttribute("data-share-url") || ""
      };
      var fallback = function () {
        copyText(data.url).then(function () { say(shareButton, "data-copied-text"); }, function () {
          var field = document.getElementById(shareButton.getAttribute("data-share-fallback"));
          if (field) { field.focus(); field.select(); }
        });
      };
      if (!navigator.share || (navigator.canShare && !navigator.canShare(data))) { fallback(); return; }
      navigator.share(data).catch(function (error) {
        if (!error || error.name !== "AbortError") { fallback(); }
      });
      return;
    }
    var copyButton = event.target.closest("[data-copy-html]");
    if (copyButton) {
      event.preventDefault();
      var source = document.getElementById(copyButton.getAttribute("data-copy-html"));
      if (!source) { return; }
      copyHtml(source.value, copyButton.getAttribute("data-plain-text") || source.value).then(
        function () { say(copyButton, "data-copied-text"); },
        function () { say(copyButton, "data-failed-text"); source.focus(); source.select(); }
      );
    }
  });

  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
  enhance(document);
})();
