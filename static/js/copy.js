/* Copy buttons: <button data-copy="ID"> copies the value (or text) of the element ID.
   Delegated from the document, so buttons in fragments htmx swaps in work too. The
   clipboard API needs a secure context or a user gesture; when it is refused the text is
   selected instead, for Ctrl+C. Nothing is logged. */
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  event.preventDefault();
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) return;
  var text = "value" in source ? source.value : source.textContent;
  var status = button.parentNode.querySelector(".copy-status");
  function say(message) { if (status) status.textContent = message; }
  function selectIt() {
    if (source.select) source.select();
    say("Selected: press Ctrl+C (or Cmd+C) to copy.");
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { say("Copied."); }, selectIt);
  } else {
    selectIt();
  }
});
