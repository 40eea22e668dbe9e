/* The policy editor: progressive enhancement of every policy JSON textarea
   (textarea.policy-json) into CodeMirror 6 with line numbers, JSON highlighting,
   bracket matching, folding, line wrapping and the engine's findings as inline
   lint markers at their line and column.

   - Without JavaScript the plain textarea stays and htmx-free forms work as before.
   - With it, the textarea stays the form field: hidden, kept in sync on every change,
     so the form submits exactly what is in the editor.
   - Findings come from the page's own live-validation endpoint (the textarea's
     hx-post, with its hx-vals): the same request htmx made on each pause in typing,
     made here on each pause, and its answer replaces the #policy-validation panel
     (as htmx's outerHTML swap did) and becomes the editor's diagnostics. An answer
     for a document that has since changed is dropped (the next pause asks again).
   - CSP (style-src 'self', no 'unsafe-inline'): CodeMirror writes its styles with
     style-mod, which puts a <style> element in a document's <head> (refused by the
     CSP) but adopts a constructed stylesheet (CSSStyleSheet, not subject to style-src)
     in a shadow root. So each editor lives in an open shadow root under a host <div>
     next to its textarea: no inline <style>, no nonce needed.

   - Where the textarea carries data-visual-catalog, a "Visual | JSON" switch adds the
     visual editor (./visual-editor.js), which writes the document through this editor.

   Source of static/js/policy-editor.bundle.js: `make assets` (npm ci, then esbuild). */

import { EditorView } from "codemirror";
import { EditorState } from "@codemirror/state";
import {
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import {
  bracketMatching,
  defaultHighlightStyle,
  foldGutter,
  foldKeymap,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { json } from "@codemirror/lang-json";
import { linter, lintGutter, lintKeymap } from "@codemirror/lint";
import { attachVisual } from "./visual-editor.js";

const SEVERITY = {
  ERROR: "error",
  SECURITY_WARNING: "error",
  WARNING: "warning",
  SUGGESTION: "info",
};
const LINT_DELAY_MS = 400;

const theme = EditorView.theme({
  "&": {
    border: "1px solid #8d9399",
    borderRadius: "4px",
    backgroundColor: "#fff",
    fontSize: "13px",
    minHeight: "22em",
  },
  "&.cm-focused": { outline: "2px solid #0972d3", outlineOffset: "1px" },
  ".cm-scroller": {
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    lineHeight: "1.5",
    minHeight: "22em",
    maxHeight: "70vh",
  },
  ".cm-content": { minHeight: "22em" },
  ".cm-gutters": { backgroundColor: "#f4f4f4", color: "#5f6b7a", borderRight: "1px solid #e9ebed" },
  ".cm-activeLine": { backgroundColor: "#f2f8fd" },
  ".cm-activeLineGutter": { backgroundColor: "#e4eef8" },
  ".cm-tooltip-lint": { fontFamily: "system-ui, sans-serif", fontSize: "13px" },
});

/** The values the textarea's live check posts: its own name and value, its hx-vals. */
function requestBody(textarea, text) {
  const body = new URLSearchParams();
  const vals = textarea.getAttribute("hx-vals");
  if (vals) {
    try {
      const parsed = JSON.parse(vals);
      for (const [k, v] of Object.entries(parsed)) body.append(k, String(v));
    } catch (_e) {
      /* not JSON: send nothing extra */
    }
  }
  body.append(textarea.name, text);
  return body;
}

function csrfToken(textarea) {
  const form = textarea.form || document;
  const input = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  try {
    const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  } catch (_e) {
    return "";
  }
}

/** The document range a finding at 1-based (line, column) points at: the JSON token there. */
function findingRange(doc, lineNo, colNo) {
  if (!lineNo || lineNo < 1) return { from: 0, to: Math.min(1, doc.length) };
  const line = doc.line(Math.min(lineNo, doc.lines));
  const from = Math.min(line.from + Math.max((colNo || 1) - 1, 0), line.to);
  const text = line.text;
  let i = from - line.from;
  if (text[i] === '"') {
    let j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    return { from, to: line.from + Math.min(j + 1, text.length) };
  }
  if (/[\w.+-]/.test(text[i] || "")) {
    while (i < text.length && /[\w.+-]/.test(text[i])) i++;
    return { from, to: line.from + i };
  }
  return { from, to: Math.min(from + 1, line.to) };
}

/** Findings listed in a validation panel (li.finding with data-type/line/column/message). */
function diagnosticsFrom(panel, doc) {
  const out = [];
  if (!panel) return out;
  for (const li of panel.querySelectorAll("li.finding")) {
    const type = li.dataset.type || "";
    const message = li.dataset.message || "";
    const code = li.dataset.code || "";
    const range = findingRange(doc, parseInt(li.dataset.line, 10), parseInt(li.dataset.column, 10));
    out.push({
      from: range.from,
      to: range.to,
      severity: SEVERITY[type] || "warning",
      source: code,
      message: type ? `${type.replace("_", " ")}: ${message}` : message,
    });
  }
  return out;
}

function replacePanel(fresh) {
  const current = document.getElementById("policy-validation");
  if (!current || !fresh) return;
  const node = document.importNode(fresh, true);
  current.replaceWith(node);
  if (window.htmx) window.htmx.process(node);
}

/** The lint source: ask the page's validation endpoint, swap its panel, return its findings. */
function engineSource(textarea) {
  const url = textarea.getAttribute("hx-post");
  let seq = 0;
  return async (view) => {
    const doc = view.state.doc;
    const text = doc.toString();
    const mine = ++seq;
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
          "X-CSRFToken": csrfToken(textarea),
          "HX-Request": "true",
        },
        body: requestBody(textarea, text),
      });
    } catch (_e) {
      return [];
    }
    if (!response.ok) return [];
    const html = await response.text();
    // An answer overtaken by a newer request, or for a document since edited: dropped.
    if (mine !== seq || view.state.doc.toString() !== text) return [];
    const parsed = new DOMParser().parseFromString(html, "text/html");
    const panel = parsed.getElementById("policy-validation");
    replacePanel(panel);
    return diagnosticsFrom(panel, doc);
  };
}

function labelFor(textarea) {
  if (textarea.id) {
    const label = document.querySelector(`label[for="${CSS.escape(textarea.id)}"]`);
    if (label) return label;
  }
  return textarea.closest("label");
}

function enhance(textarea) {
  if (textarea.dataset.policyEditor === "on") return;
  textarea.dataset.policyEditor = "on";

  const host = document.createElement("div");
  host.className = "policy-editor-host";
  const shadow = host.attachShadow({ mode: "open" });
  textarea.after(host);

  const label = labelFor(textarea);
  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    foldGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    highlightActiveLine(),
    EditorView.lineWrapping,
    EditorState.tabSize.of(2),
    json(),
    lintGutter(),
    // No Tab binding: Tab leaves the editor, as in any form field (keyboard users).
    keymap.of([...defaultKeymap, ...historyKeymap, ...foldKeymap, ...lintKeymap]),
    theme,
    EditorView.contentAttributes.of({
      "aria-label": label ? label.textContent.trim() : "Policy document (JSON)",
      "aria-multiline": "true",
      spellcheck: "false",
      autocorrect: "off",
      autocapitalize: "off",
      "data-policy-editor-for": textarea.id || textarea.name,
    }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) {
        textarea.value = update.state.doc.toString();
        // For the visual editor (static/js/src/visual-editor.js); not an event htmx
        // listens to, so the live check is still asked once, by the linter.
        textarea.dispatchEvent(new CustomEvent("policy-editor:change"));
      }
    }),
  ];
  if (textarea.getAttribute("hx-post")) {
    extensions.push(linter(engineSource(textarea), { delay: LINT_DELAY_MS }));
  }

  const view = new EditorView({
    parent: shadow,
    state: EditorState.create({ doc: textarea.value, extensions }),
  });
  textarea.hidden = true;
  textarea.policyEditorView = view;
  if (label) label.addEventListener("click", () => view.focus());
  // "Visual | JSON" where the textarea asks for it (data-visual-catalog).
  attachVisual(textarea, host, view);
  // Whatever writes the textarea itself (a script, a test driving the page before the
  // editor came up) is followed too.
  const follow = () => {
    if (textarea.value !== view.state.doc.toString()) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: textarea.value } });
    }
  };
  textarea.addEventListener("input", follow);
  textarea.addEventListener("change", follow);
  // A form reset puts the textarea back to its default: follow it.
  if (textarea.form) {
    textarea.form.addEventListener("reset", () => {
      setTimeout(follow);
    });
  }
}

function enhanceWithin(root) {
  if (!root || !root.querySelectorAll) return;
  if (root.matches && root.matches("textarea.policy-json")) enhance(root);
  for (const ta of root.querySelectorAll("textarea.policy-json")) enhance(ta);
}

if (!window.__policyEditorLoaded) {
  window.__policyEditorLoaded = true;
  window.PolicyEditor = { enhance, enhanceWithin };
  // Content htmx swaps in later (a wizard step, a fragment) is enhanced as it arrives.
  document.addEventListener("htmx:load", (event) => enhanceWithin(event.target));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => enhanceWithin(document.body));
  } else {
    enhanceWithin(document.body);
  }
}
