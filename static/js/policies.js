/* Policies pages: let htmx swap error fragments (403 AccessDenied, 404, 409
   DeleteConflict, 400 validation) in place. htmx 2 ignores 4xx bodies by
   default; these pages answer errors with AWS's message and status.
   Loaded (deferred) before htmx itself, so wait until every deferred script ran. */
document.addEventListener("DOMContentLoaded", function () {
  if (!window.htmx) return;
  window.htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "4..", swap: true, error: true },
    { code: "...", swap: false, error: true }
  ];
});
