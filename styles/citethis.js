// Copy buttons for the "cite this work" and style preview pages.
//
// A button carries the plain text to copy in data-copy-text and, optionally, the id of the
// element whose HTML is the rich version (data-copy-html). The async Clipboard API copies
// both, so italics survive a paste into a word processor; where it is missing or refused
// (older browsers, an unfocused page, permissions), a hidden textarea and
// document.execCommand("copy") copy the plain text.
//
// Opened with ?selftest, the page clicks every button itself and writes what happened into
// <pre id="selftest-report"> as JSON (with any script error or console.error), so a
// headless browser's --dump-dom can check the page.
(function () {
  "use strict";

  var selftest = /[?&]selftest(?:[=&]|$)/.test(window.location.search);
  var report = { errors: [], copies: [] };
  var pending = [];

  if (selftest) {
    window.addEventListener("error", function (event) {
      report.errors.push(String(event.message || event.type));
    });
    window.addEventListener("unhandledrejection", function (event) {
      report.errors.push("unhandled rejection: " + String(event.reason));
    });
    var consoleError = console.error;
    console.error = function () {
      report.errors.push(Array.prototype.join.call(arguments, " "));
      consoleError.apply(console, arguments);
    };
  }

  function copyWithTextarea(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    var selected = area.value.substring(area.selectionStart, area.selectionEnd);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return { copied: copied, selected: selected };
  }

  function copyWithClipboardApi(text, richSource) {
    if (!navigator.clipboard || !window.isSecureContext) {
      return Promise.reject(new Error("no Clipboard API"));
    }
    if (richSource && window.ClipboardItem && navigator.clipboard.write) {
      var item = new window.ClipboardItem({
        "text/html": new Blob([richSource.innerHTML], { type: "text/html" }),
        "text/plain": new Blob([text], { type: "text/plain" }),
      });
      return navigator.clipboard.write([item]);
    }
    return navigator.clipboard.writeText(text);
  }

  function selectForManualCopy(element) {
    if (!element) return;
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function showResult(button, copied) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = copied ? "Copied" : "Press Ctrl+C to copy";
    button.classList.toggle("copied", copied);
    window.setTimeout(function () {
      button.textContent = label;
      button.classList.remove("copied");
    }, 2000);
  }

  function copy(button) {
    var text = button.getAttribute("data-copy-text") || "";
    var richId = button.getAttribute("data-copy-html");
    var richSource = richId ? document.getElementById(richId) : null;
    var attempt = {
      label: button.getAttribute("data-copy-label") || "",
      text: text,
      method: "clipboard",
      copied: false,
      selected: "",
    };
    return copyWithClipboardApi(text, richSource)
      .then(function () {
        attempt.copied = true;
      })
      .catch(function () {
        var fallback = copyWithTextarea(text);
        attempt.method = "execCommand";
        attempt.copied = fallback.copied;
        attempt.selected = fallback.selected;
        if (!fallback.copied) selectForManualCopy(richSource || button.previousElementSibling);
      })
      .then(function () {
        button.setAttribute("data-copy-result", attempt.method + (attempt.copied ? ":copied" : ":refused"));
        showResult(button, attempt.copied);
        if (selftest) report.copies.push(attempt);
        return attempt;
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy-text]") : null;
    if (button) pending.push(copy(button));
  });

  if (selftest) {
    window.addEventListener("load", function () {
      var buttons = document.querySelectorAll("button[data-copy-text]");
      Array.prototype.forEach.call(buttons, function (button) {
        button.click();
      });
      Promise.all(pending).then(function () {
        var output = document.getElementById("selftest-report");
        output.textContent = JSON.stringify(report);
        document.documentElement.setAttribute("data-selftest", "done");
      });
    });
  }
})();
