/* The visual policy editor: a "Visual | JSON" switch above a policy editor whose
   textarea opts in (data-visual-catalog="<catalog URL>"), and, in visual mode, one card
   per statement: Effect, a searchable service picker, actions by access level with a
   filter and "All <service> actions", resources ("All resources" or ARNs built from the
   resource types' ARN formats), request conditions (the service's and the global keys).

   - The textarea stays the single source of truth. Visual edits rewrite the document
     through the code editor (view.dispatch), so the form field, the live validation and
     the policy summary follow exactly as they do for typing in JSON.
   - Nothing is rewritten until the user changes something in visual mode: switching
     JSON -> visual -> JSON with no edit gives back the same text, byte for byte.
   - A document the visual editor cannot show exactly (NotAction, NotResource,
     Principal, several services in one statement, wildcards like s3:Get*, non-string
     condition values, duplicate keys, invalid JSON, ...) is never half-shown: the
     Visual button is disabled and a note says why until the JSON is fixed. As a last
     safety net, a document is only shown when rebuilding it from what the cards hold
     gives the same JSON value.
   - CSP: no inline styles; every look is a class in static/css/policy-visual.css.

   The wording of notes and labels is this project's own where AWS's exact console
   text could not be established (the switch's "Visual" and "JSON" follow AWS's editor). */

const INDENT = 4; // as the starter document and AWS's JSON editor
const STATEMENT_KEYS = ["Sid", "Effect", "Action", "Resource", "Condition"];
const UNSHOWN_KEYS = ["NotAction", "NotResource", "Principal", "NotPrincipal"];
const QUALIFIERS = ["ForAnyValue", "ForAllValues"];

let uid = 0;

// ------------------------------------------------------------------ catalog (fetched)

const cache = { services: null, service: new Map() };

async function getJson(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) throw new Error(`catalog answered ${response.status}`);
  return response.json();
}

function loadServices(base) {
  if (!cache.services) {
    cache.services = getJson(base).then((data) => {
      data.byPrefix = new Map(data.services.map((s) => [s.prefix, s]));
      return data;
    });
    cache.services.catch(() => {
      cache.services = null; // try again next time
    });
  }
  return cache.services;
}

function loadService(base, prefix) {
  const key = prefix.toLowerCase();
  if (!cache.service.has(key)) {
    const promise = getJson(`${base}${encodeURIComponent(key)}/`).then((data) => {
      data.byName = new Map();
      for (const group of data.access_levels) {
        for (const a of group.actions) data.byName.set(a.name.toLowerCase(), { ...a, level: group.level });
      }
      data.typeByName = new Map(data.resource_types.map((t) => [t.name, t]));
      return data;
    });
    promise.catch(() => cache.service.delete(key));
    cache.service.set(key, promise);
  }
  return cache.service.get(key);
}

// ------------------------------------------------------------- reading the document

/** Duplicate object keys, which JSON.parse would silently collapse to the last one. */
function hasDuplicateKeys(text) {
  const stack = []; // per open container: a Set of keys (objects) or null (arrays)
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      let raw = "";
      while (j < text.length && text[j] !== '"') {
        if (text[j] === "\\") {
          raw += text.slice(j, j + 2);
          j += 2;
        } else raw += text[j++];
      }
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        let key;
        try {
          key = JSON.parse(`"${raw}"`);
        } catch (_e) {
          key = raw;
        }
        if (top.has(key)) return true;
        top.add(key);
      }
      expectKey = false;
      i = j;
    } else if (ch === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === "[") {
      stack.push(null);
      expectKey = false;
    } else if (ch === "}" || ch === "]") {
      stack.pop();
      expectKey = false;
    } else if (ch === ",") {
      expectKey = Boolean(stack[stack.length - 1]);
    } else if (ch === ":") {
      expectKey = false;
    }
  }
  return false;
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const shapeOf = (v) => (Array.isArray(v) ? "list" : "string");

function listOfStrings(value) {
  const list = Array.isArray(value) ? value : [value];
  return list.every((v) => typeof v === "string") ? list : null;
}

class Unshowable extends Error {}
const refuse = (message) => {
  throw new Unshowable(message);
};

function parseOperator(op, operators) {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(op);
  if (!m || !operators.includes(m[2])) return null;
  return { qualifier: m[1] || "", base: m[2], ifExists: Boolean(m[3]) };
}

function newStatement() {
  return {
    sid: "",
    sidPresent: false,
    effect: "Allow",
    service: null,
    allActions: false,
    allActionsText: "", // "<prefix>:*" as the document spelled it (e.g. "S3:*"), kept for byte-equal round trips
    actions: [],
    actionShape: "absent",
    allResources: false,
    resources: [],
    resourceShape: "absent",
    conditions: [],
    conditionPresent: false,
    ui: { filter: "" },
  };
}

function newCondition() {
  return { qualifier: "", base: "StringEquals", ifExists: false, key: "", values: [], valueShape: "absent" };
}

/** The model of one statement, or Unshowable with the reason. */
async function readStatement(raw, n, catalogUrl, catalog) {
  const where = `Statement ${n}`;
  if (!isObject(raw)) refuse(`${where} is not a JSON object.`);
  for (const key of Object.keys(raw)) {
    if (UNSHOWN_KEYS.includes(key)) refuse(`${where} uses ${key}, which the visual editor does not show.`);
    if (!STATEMENT_KEYS.includes(key)) refuse(`${where} has the element "${key}", which the visual editor does not show.`);
  }
  const st = newStatement();
  if ("Sid" in raw) {
    if (typeof raw.Sid !== "string") refuse(`${where} has a Sid that is not a string.`);
    st.sid = raw.Sid;
    st.sidPresent = true;
  }
  if (raw.Effect !== "Allow" && raw.Effect !== "Deny") refuse(`${where} needs an Effect of "Allow" or "Deny".`);
  st.effect = raw.Effect;

  if ("Action" in raw) {
    const list = listOfStrings(raw.Action);
    if (!list) refuse(`${where} has an Action that is not a string or a list of strings.`);
    st.actionShape = shapeOf(raw.Action);
    const prefixes = new Set();
    for (const a of list) {
      const [prefix, name, extra] = a.split(":");
      if (a === "*") refuse(`${where} allows every action of every service ("*").`);
      if (name === undefined || extra !== undefined || !prefix || !name) refuse(`${where} has the action "${a}", not service:action.`);
      prefixes.add(prefix.toLowerCase());
    }
    if (prefixes.size > 1) refuse(`${where} names actions of several services.`);
    if (prefixes.size === 1) {
      const prefix = [...prefixes][0];
      if (!catalog.byPrefix.has(prefix)) refuse(`${where} names "${prefix}", which is not a known service prefix.`);
      const service = await loadService(catalogUrl, prefix);
      st.service = prefix;
      for (const a of list) {
        const name = a.slice(a.indexOf(":") + 1);
        if (name === "*") {
          if (list.length !== 1) refuse(`${where} lists "${a}" beside other actions.`);
          st.allActions = true;
          st.allActionsText = a;
        } else if (/[*?]/.test(name)) {
          // AWS's visual editor shows "All <service> actions (<prefix>:*)"; other
          // wildcards stay in JSON (the visual editor lists actions one by one).
          refuse(`${where} has the wildcard action "${a}"; the visual editor shows only "${prefix}:*" (all actions) or actions one by one.`);
        } else if (!service.byName.has(name.toLowerCase())) {
          refuse(`${where} has the action "${a}", which ${prefix} does not have.`);
        } else {
          st.actions.push(a);
        }
      }
    }
  }

  if ("Resource" in raw) {
    const list = listOfStrings(raw.Resource);
    if (!list) refuse(`${where} has a Resource that is not a string or a list of strings.`);
    st.resourceShape = shapeOf(raw.Resource);
    if (list.length === 1 && list[0] === "*") st.allResources = true;
    else st.resources = [...list];
  }

  if ("Condition" in raw) {
    if (!isObject(raw.Condition)) refuse(`${where} has a Condition that is not an object.`);
    st.conditionPresent = true;
    for (const [op, block] of Object.entries(raw.Condition)) {
      const parsed = parseOperator(op, catalog.condition_operators);
      if (!parsed) refuse(`${where} uses the condition operator "${op}", which the visual editor does not know.`);
      if (!isObject(block) || !Object.keys(block).length) refuse(`${where} has an empty or malformed "${op}" block.`);
      for (const [key, value] of Object.entries(block)) {
        const values = listOfStrings(value);
        if (!values) refuse(`${where} has a non-string value for ${key}.`);
        if (values.some((v) => v.includes("\n") || v === "")) refuse(`${where} has a multi-line or empty value for ${key}.`);
        st.conditions.push({ ...parsed, key, values: [...values], valueShape: shapeOf(value) });
      }
    }
  }
  return st;
}

/** The visual model of a policy text: { ok: true, model } or { ok: false, reason }. */
async function analyze(text, catalogUrl) {
  let catalog;
  try {
    catalog = await loadServices(catalogUrl);
  } catch (_e) {
    return { ok: false, reason: "The service catalog could not be loaded; use the JSON editor." };
  }
  const model = {
    version: "2012-10-17",
    versionPresent: true,
    id: "",
    idPresent: false,
    statementShape: "list",
    statements: [],
  };
  if (!text.trim()) return { ok: true, model, catalog };
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (_e) {
    return { ok: false, reason: "The document is not valid JSON. Fix it in the JSON editor to use the visual editor." };
  }
  try {
    if (!isObject(doc)) refuse("The document is not a JSON object.");
    if (hasDuplicateKeys(text)) refuse("The document repeats a key.");
    for (const key of Object.keys(doc)) {
      if (!["Version", "Id", "Statement"].includes(key)) refuse(`The document has the element "${key}", which the visual editor does not show.`);
    }
    model.versionPresent = "Version" in doc;
    if (model.versionPresent) {
      if (typeof doc.Version !== "string") refuse("The Version is not a string.");
      model.version = doc.Version;
    }
    if ("Id" in doc) {
      if (typeof doc.Id !== "string") refuse("The Id is not a string.");
      model.id = doc.Id;
      model.idPresent = true;
    }
    if (!("Statement" in doc)) model.statementShape = "absent";
    else if (isObject(doc.Statement)) model.statementShape = "object";
    else if (!Array.isArray(doc.Statement)) refuse("The Statement is not a list or an object.");
    const raws = doc.Statement === undefined ? [] : isObject(doc.Statement) ? [doc.Statement] : doc.Statement;
    for (let i = 0; i < raws.length; i++) {
      model.statements.push(await readStatement(raws[i], i + 1, catalogUrl, catalog));
    }
    if (!sameJson(toDocument(model), doc)) refuse("The visual editor cannot show this document exactly.");
  } catch (e) {
    if (e instanceof Unshowable) return { ok: false, reason: `${e.message} Edit it in JSON; the visual editor opens once it can show the whole document.` };
    return { ok: false, reason: "The service catalog could not be loaded; use the JSON editor." };
  }
  return { ok: true, model, catalog };
}

function sameJson(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return a === b;
}

// ------------------------------------------------------------- writing the document

function shaped(values, shape) {
  if (values.length === 1 && shape !== "list") return values[0];
  return [...values];
}

function operatorName(c) {
  return `${c.qualifier ? `${c.qualifier}:` : ""}${c.base}${c.ifExists ? "IfExists" : ""}`;
}

function toStatement(st) {
  const out = {};
  if (st.sidPresent || st.sid) out.Sid = st.sid;
  out.Effect = st.effect;
  const actions = st.allActions && st.service ? [st.allActionsText || `${st.service}:*`] : st.actions;
  if (st.actionShape !== "absent" || actions.length) out.Action = shaped(actions, st.actionShape);
  const resources = st.allResources ? ["*"] : st.resources;
  if (st.resourceShape !== "absent" || resources.length) out.Resource = shaped(resources, st.resourceShape);
  const rows = st.conditions.filter((c) => c.key.trim() && c.values.length);
  if (st.conditionPresent || rows.length) {
    const cond = {};
    for (const c of rows) {
      const op = operatorName(c);
      cond[op] = cond[op] || {};
      const key = c.key.trim();
      const before = cond[op][key];
      const values = before === undefined ? c.values : [...[before].flat(), ...c.values];
      cond[op][key] = shaped(values, before === undefined ? c.valueShape : "list");
    }
    out.Condition = cond;
  }
  return out;
}

function toDocument(model) {
  const doc = {};
  if (model.versionPresent) doc.Version = model.version;
  if (model.idPresent) doc.Id = model.id;
  const statements = model.statements.map(toStatement);
  if (model.statementShape === "object" && statements.length === 1) doc.Statement = statements[0];
  else if (model.statementShape !== "absent" || statements.length) doc.Statement = statements;
  return doc;
}

// ------------------------------------------------------------------------ rendering

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

function checkbox(id, labelText, checked, onchange, extra = {}) {
  return el(
    "label",
    { class: "pv-check", for: id },
    el("input", { type: "checkbox", id, checked, onchange, ...extra }),
    el("span", { text: labelText }),
  );
}

function field(id, labelText, control, hint) {
  return el("div", { class: "pv-field" }, el("label", { for: id, text: labelText }), control, hint || null);
}

/** The ${Placeholder} parts of an ARN format, in order, each once. */
function placeholders(format) {
  const out = [];
  for (const m of format.matchAll(/\$\{([A-Za-z0-9]+)\}/g)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

class VisualEditor {
  constructor(textarea, host, view) {
    this.textarea = textarea;
    this.host = host;
    this.view = view;
    this.catalogUrl = textarea.dataset.visualCatalog;
    this.base = `pv${++uid}`;
    this.model = null;
    this.catalog = null;
    this.modelText = null; // the text the model was read from or last wrote
    this.mode = "json";
    this.build();
    this.check();
    // A form reset puts the JSON back: the cards are read again from it.
    if (textarea.form) {
      textarea.form.addEventListener("reset", () => {
        setTimeout(() => {
          this.model = null;
          this.showJson();
          this.check();
        });
      });
    }
    textarea.addEventListener("policy-editor:change", () => {
      if (this.mode !== "json") return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.check(), 500);
    });
  }

  build() {
    const b = this.base;
    this.jsonButton = el("button", { type: "button", class: "pv-mode", "aria-pressed": "true", id: `${b}-json`, text: "JSON", onclick: () => this.showJson() });
    this.visualButton = el("button", { type: "button", class: "pv-mode", "aria-pressed": "false", id: `${b}-visual`, text: "Visual", onclick: () => this.showVisual() });
    this.note = el("p", { class: "pv-note", id: `${b}-note`, role: "status" });
    this.toolbar = el(
      "div",
      { class: "pv-toolbar" },
      el("div", { class: "pv-switch", role: "group", "aria-label": "Policy editor mode" }, this.visualButton, this.jsonButton),
      this.note,
    );
    this.visualButton.setAttribute("aria-describedby", this.note.id);
    this.panel = el("div", { class: "pv-panel", id: `${b}-panel`, hidden: true });
    this.host.before(this.toolbar);
    this.host.after(this.panel);
  }

  setNote(text) {
    this.note.textContent = text || "";
    this.note.classList.toggle("pv-note-empty", !text);
  }

  async check() {
    const text = this.textarea.value;
    const result = await analyze(text, this.catalogUrl);
    if (this.textarea.value !== text) return; // overtaken by an edit: the next check answers
    this.visualButton.disabled = !result.ok;
    this.setNote(result.ok ? "" : result.reason);
    return result;
  }

  showJson() {
    if (this.mode === "json") return;
    this.mode = "json";
    this.panel.hidden = true;
    this.host.hidden = false;
    this.jsonButton.setAttribute("aria-pressed", "true");
    this.visualButton.setAttribute("aria-pressed", "false");
    this.view.requestMeasure();
  }

  async showVisual() {
    if (this.mode === "visual") return;
    const text = this.textarea.value;
    if (this.model === null || text !== this.modelText) {
      const result = await this.check();
      if (!result || !result.ok) return;
      this.model = result.model;
      this.catalog = result.catalog;
      this.modelText = text;
    }
    this.mode = "visual";
    this.host.hidden = true;
    this.panel.hidden = false;
    this.jsonButton.setAttribute("aria-pressed", "false");
    this.visualButton.setAttribute("aria-pressed", "true");
    await this.render();
  }

  /** A visual edit: the document rewritten through the code editor (lint and summary follow). */
  commit() {
    const text = JSON.stringify(toDocument(this.model), null, INDENT);
    this.modelText = text;
    if (text === this.textarea.value) return;
    const doc = this.view.state.doc;
    this.view.dispatch({ changes: { from: 0, to: doc.length, insert: text } });
    if (this.textarea.value !== text) this.textarea.value = text;
  }

  keepFocus(fn) {
    const active = document.activeElement && document.activeElement.id;
    const result = fn();
    const again = active && document.getElementById(active);
    if (again && again !== document.activeElement) again.focus();
    return result;
  }

  async render() {
    const cards = [];
    for (let i = 0; i < this.model.statements.length; i++) cards.push(await this.card(i));
    this.keepFocus(() => {
      this.panel.replaceChildren(
        this.servicesList(),
        ...cards,
        el("div", { class: "pv-add" }, el("button", { type: "button", class: "button", id: `${this.base}-add`, text: "Add statement", onclick: () => this.addStatement() })),
      );
    });
  }

  async rerenderCard(i) {
    const fresh = await this.card(i);
    const old = document.getElementById(`${this.base}-s${i}`);
    if (old) this.keepFocus(() => old.replaceWith(fresh));
  }

  servicesList() {
    return el(
      "datalist",
      { id: `${this.base}-services` },
      this.catalog.services.map((s) => el("option", { value: `${s.name} (${s.prefix})` })),
    );
  }

  async addStatement() {
    const st = newStatement();
    st.sid = `Statement${this.model.statements.length + 1}`;
    st.sidPresent = true;
    this.model.statements.push(st);
    this.commit();
    await this.render();
    const input = document.getElementById(`${this.base}-s${this.model.statements.length - 1}-service`);
    if (input) input.focus();
  }

  async removeStatement(i) {
    this.model.statements.splice(i, 1);
    this.commit();
    await this.render();
    const next = document.getElementById(`${this.base}-s${Math.min(i, this.model.statements.length - 1)}-remove`);
    (next || document.getElementById(`${this.base}-add`)).focus();
  }

  resolveService(value) {
    const v = value.trim();
    if (!v) return null;
    const low = v.toLowerCase();
    if (this.catalog.byPrefix.has(low)) return low;
    const m = /\(([a-z0-9-]+)\)\s*$/i.exec(v);
    if (m && this.catalog.byPrefix.has(m[1].toLowerCase())) return m[1].toLowerCase();
    const byName = this.catalog.services.find((s) => s.name.toLowerCase() === low);
    return byName ? byName.prefix : null;
  }

  async card(i) {
    const st = this.model.statements[i];
    const id = `${this.base}-s${i}`;
    const service = st.service ? await loadService(this.catalogUrl, st.service) : null;
    const heading = el("h3", { id: `${id}-title`, text: `Statement ${i + 1}${st.sid ? `: ${st.sid}` : ""}` });
    const card = el(
      "section",
      { class: "pv-statement", id, "aria-labelledby": `${id}-title` },
      el(
        "div",
        { class: "pv-statement-head" },
        heading,
        el("button", { type: "button", class: "button pv-remove", id: `${id}-remove`, text: "Remove statement", "aria-label": `Remove statement ${i + 1}`, onclick: () => this.removeStatement(i) }),
      ),
      el(
        "div",
        { class: "pv-row" },
        field(
          `${id}-sid`,
          "Statement ID (Sid)",
          el("input", {
            type: "text",
            id: `${id}-sid`,
            value: st.sid,
            autocomplete: "off",
            oninput: (e) => {
              st.sid = e.target.value;
              st.sidPresent = st.sid !== "";
              heading.textContent = `Statement ${i + 1}${st.sid ? `: ${st.sid}` : ""}`;
              this.commit();
            },
          }),
        ),
        el(
          "fieldset",
          { class: "pv-effect" },
          el("legend", { text: "Effect" }),
          ["Allow", "Deny"].map((effect) =>
            el(
              "label",
              { class: "pv-check", for: `${id}-effect-${effect}` },
              el("input", {
                type: "radio",
                name: `${id}-effect`,
                id: `${id}-effect-${effect}`,
                value: effect,
                checked: st.effect === effect,
                onchange: () => {
                  st.effect = effect;
                  this.commit();
                },
              }),
              el("span", { text: effect }),
            ),
          ),
        ),
      ),
      this.servicePicker(st, i, id, service),
      service ? this.actionsSection(st, i, id, service) : el("p", { class: "muted", text: "Choose a service to pick its actions." }),
      el("div", { id: `${id}-resources-box` }, this.resourcesSection(st, i, id, service)),
      el("div", { id: `${id}-conditions-box` }, this.conditionsSection(st, i, id, service)),
    );
    return card;
  }

  servicePicker(st, i, id, service) {
    const error = el("p", { class: "field-error pv-note-empty", id: `${id}-service-error` });
    const input = el("input", {
      type: "text",
      id: `${id}-service`,
      list: `${this.base}-services`,
      autocomplete: "off",
      placeholder: "Search services",
      value: service ? `${service.name} (${service.prefix})` : "",
      "aria-describedby": error.id,
      onchange: async (e) => {
        const prefix = this.resolveService(e.target.value);
        if (!prefix) {
          error.textContent = e.target.value.trim() ? "Choose a service from the list." : "";
          error.classList.toggle("pv-note-empty", !error.textContent);
          return;
        }
        error.textContent = "";
        error.classList.add("pv-note-empty");
        if (prefix === st.service) {
          const s = this.catalog.byPrefix.get(prefix);
          e.target.value = `${s.name} (${s.prefix})`;
          return;
        }
        st.service = prefix;
        st.allActions = false;
        st.allActionsText = "";
        st.actions = [];
        st.ui.filter = "";
        this.commit();
        await this.rerenderCard(i);
      },
      oninput: (e) => {
        // A pick from the list (its full "Name (prefix)" text) takes effect at once;
        // typed text waits for Enter or leaving the field.
        const v = e.target.value;
        if (this.catalog.services.some((s) => `${s.name} (${s.prefix})` === v)) e.target.dispatchEvent(new Event("change"));
      },
      onkeydown: (e) => {
        if (e.key === "Enter") {
          e.preventDefault(); // never submits the form; picks the service
          e.target.dispatchEvent(new Event("change"));
        }
      },
    });
    return field(`${id}-service`, "Service", input, error);
  }

  actionsSection(st, i, id, service) {
    const selected = new Set(st.actions.map((a) => a.slice(a.indexOf(":") + 1).toLowerCase()));
    const groups = [];
    const legends = [];
    const filterInput = el("input", {
      type: "search",
      id: `${id}-filter`,
      value: st.ui.filter,
      autocomplete: "off",
      placeholder: "Filter actions",
      oninput: (e) => {
        st.ui.filter = e.target.value;
        applyFilter();
      },
      onkeydown: (e) => {
        if (e.key === "Enter") e.preventDefault();
      },
    });
    const allBox = checkbox(`${id}-all-actions`, `All ${service.name} actions (${service.prefix}:*)`, st.allActions, async (e) => {
      st.allActions = e.target.checked;
      if (st.actionShape === "absent" && st.allActions) st.actionShape = "string";
      this.commit();
      await this.rerenderCard(i);
    });
    for (const group of service.access_levels) {
      const sorted = [...group.actions].sort((x, y) => x.name.localeCompare(y.name, "en"));
      const items = sorted.map((a) => {
        const box = checkbox(
          `${id}-a-${a.name}`,
          a.name,
          st.allActions || selected.has(a.name.toLowerCase()),
          (e) => {
            const low = a.name.toLowerCase();
            st.actions = st.actions.filter((x) => x.slice(x.indexOf(":") + 1).toLowerCase() !== low);
            if (e.target.checked) st.actions.push(`${service.prefix}:${a.name}`);
            updateCounts();
            this.commit();
            this.rerenderSection(i, "resources");
          },
          { disabled: st.allActions, title: a.description || null },
        );
        box.dataset.name = a.name.toLowerCase();
        return box;
      });
      const legend = el("legend");
      legends.push([legend, group]);
      groups.push(el("fieldset", { class: "pv-level" }, legend, el("div", { class: "pv-action-list" }, items)));
    }
    const updateCounts = () => {
      const chosen = new Set(st.actions.map((a) => a.slice(a.indexOf(":") + 1).toLowerCase()));
      for (const [legend, group] of legends) {
        const count = st.allActions ? group.actions.length : group.actions.filter((a) => chosen.has(a.name.toLowerCase())).length;
        legend.textContent = `${group.level} (${count} of ${group.actions.length} selected)`;
      }
    };
    updateCounts();
    const empty = el("p", { class: "muted pv-hidden", text: "No action matches the filter." });
    const applyFilter = () => {
      const q = st.ui.filter.trim().toLowerCase();
      let shown = 0;
      for (const g of groups) {
        let inGroup = 0;
        for (const label of g.querySelectorAll(".pv-check")) {
          const hit = !q || label.dataset.name.includes(q);
          label.classList.toggle("pv-hidden", !hit);
          if (hit) inGroup++;
        }
        g.classList.toggle("pv-hidden", inGroup === 0);
        shown += inGroup;
      }
      empty.classList.toggle("pv-hidden", shown > 0);
    };
    applyFilter();
    return el(
      "fieldset",
      { class: "pv-actions" },
      el("legend", { text: st.effect === "Deny" ? "Actions denied" : "Actions allowed" }),
      allBox,
      field(`${id}-filter`, "Filter actions", filterInput),
      empty,
      el("div", { class: "pv-levels" }, groups),
    );
  }

  rerenderSection(i, which) {
    const st = this.model.statements[i];
    const id = `${this.base}-s${i}`;
    const box = document.getElementById(`${id}-${which}-box`);
    if (!box) return;
    const promise = st.service ? loadService(this.catalogUrl, st.service) : Promise.resolve(null);
    promise.then((service) => {
      const fresh = which === "resources" ? this.resourcesSection(st, i, id, service) : this.conditionsSection(st, i, id, service);
      this.keepFocus(() => box.replaceChildren(fresh));
    });
  }

  /** Resource types of the chosen actions (all of the service's with "All actions"). */
  resourceTypesFor(st, service) {
    if (!service) return [];
    if (st.allActions) return service.resource_types;
    const names = new Set();
    for (const a of st.actions) {
      const info = service.byName.get(a.slice(a.indexOf(":") + 1).toLowerCase());
      if (info) for (const t of info.resource_types) names.add(t);
    }
    return service.resource_types.filter((t) => names.has(t.name));
  }

  resourcesSection(st, i, id, service) {
    const allBox = checkbox(`${id}-all-resources`, "All resources (*)", st.allResources, (e) => {
      st.allResources = e.target.checked;
      if (st.allResources && st.resourceShape === "absent") st.resourceShape = "string";
      this.commit();
      this.rerenderSection(i, "resources");
    });
    const parts = [el("legend", { text: "Resources" }), allBox];
    if (!st.allResources) {
      const rows = st.resources.map((arn, j) =>
        el(
          "div",
          { class: "pv-arn-row" },
          el("label", { class: "pv-sr", for: `${id}-arn-${j}`, text: `Resource ARN ${j + 1}` }),
          el("input", {
            type: "text",
            id: `${id}-arn-${j}`,
            class: "mono",
            value: arn,
            autocomplete: "off",
            spellcheck: "false",
            oninput: (e) => {
              st.resources[j] = e.target.value;
              this.commit();
            },
          }),
          el("button", {
            type: "button",
            class: "button pv-remove",
            id: `${id}-arn-${j}-remove`,
            text: "Remove",
            "aria-label": `Remove resource ARN ${j + 1}`,
            onclick: () => {
              st.resources.splice(j, 1);
              this.commit();
              this.rerenderSection(i, "resources");
              setTimeout(() => (document.getElementById(`${id}-all-resources`) || {}).focus?.());
            },
          }),
        ),
      );
      parts.push(rows.length ? el("div", { class: "pv-arns" }, rows) : el("p", { class: "muted", text: "No specific resources yet." }));
      const types = this.resourceTypesFor(st, service);
      if (service && !types.length) {
        parts.push(el("p", { class: "muted", text: st.actions.length ? "The chosen actions have no resource types: they take all resources (*)." : "Choose actions to build ARNs for their resource types." }));
      }
      types.forEach((t, k) => parts.push(this.arnBuilder(st, i, id, t, k)));
    }
    return el("fieldset", { class: "pv-resources" }, parts);
  }

  arnBuilder(st, i, id, type, k) {
    const bid = `${id}-rt${k}`;
    const names = placeholders(type.arn);
    const inputs = {};
    const error = el("p", { class: "field-error pv-note-empty", id: `${bid}-error`, role: "status" });
    const fields = names.map((name) => {
      const input = el("input", { type: "text", id: `${bid}-${name}`, autocomplete: "off", spellcheck: "false", value: name === "Partition" ? "aws" : "" });
      const any = el("input", {
        type: "checkbox",
        id: `${bid}-${name}-any`,
        onchange: (e) => {
          input.disabled = e.target.checked;
        },
      });
      inputs[name] = { input, any };
      return el(
        "div",
        { class: "pv-arn-part" },
        el("label", { for: input.id, text: name }),
        input,
        el("label", { class: "pv-check", for: any.id }, any, el("span", { text: `Any ${name}` })),
      );
    });
    const add = () => {
      let missing = null;
      const arn = type.arn.replace(/\$\{([A-Za-z0-9]+)\}/g, (_m, name) => {
        const { input, any } = inputs[name];
        if (any.checked) return "*";
        if (!input.value.trim() && !missing) missing = name;
        return input.value.trim();
      });
      if (missing) {
        error.textContent = `Enter ${missing} or check "Any ${missing}".`;
        error.classList.remove("pv-note-empty");
        inputs[missing].input.focus();
        return;
      }
      if (!st.resources.includes(arn)) st.resources.push(arn);
      if (st.resourceShape === "absent") st.resourceShape = "list";
      this.commit();
      this.rerenderSection(i, "resources");
    };
    return el(
      "details",
      { class: "pv-arn-builder" },
      el("summary", { text: `Add ARN: ${type.name}` }),
      el("p", { class: "mono pv-arn-format", text: type.arn }),
      el("div", { class: "pv-arn-parts" }, fields),
      error,
      el("button", { type: "button", class: "button", id: `${bid}-add`, text: `Add ${type.name} ARN`, onclick: add }),
    );
  }

  conditionsSection(st, i, id, service) {
    const listId = `${id}-keys`;
    const keys = new Set();
    if (service) for (const k of service.condition_keys) keys.add(k.key);
    for (const k of this.catalog.global_condition_keys) keys.add(k.key);
    const rows = st.conditions.map((c, j) => {
      const cid = `${id}-c${j}`;
      const update = () => this.commit();
      return el(
        "fieldset",
        { class: "pv-condition" },
        el("legend", { text: `Condition ${j + 1}` }),
        el(
          "div",
          { class: "pv-row" },
          field(
            `${cid}-qualifier`,
            "Qualifier",
            el(
              "select",
              { id: `${cid}-qualifier`, onchange: (e) => { c.qualifier = e.target.value; update(); } },
              el("option", { value: "", text: "None", selected: c.qualifier === "" }),
              QUALIFIERS.map((q) => el("option", { value: q, text: q, selected: c.qualifier === q })),
            ),
          ),
          field(
            `${cid}-key`,
            "Condition key",
            el("input", {
              type: "text",
              id: `${cid}-key`,
              list: listId,
              value: c.key,
              autocomplete: "off",
              spellcheck: "false",
              class: "mono",
              oninput: (e) => { c.key = e.target.value; update(); },
            }),
          ),
          field(
            `${cid}-operator`,
            "Operator",
            el(
              "select",
              { id: `${cid}-operator`, onchange: (e) => { c.base = e.target.value; update(); } },
              this.catalog.condition_operators.map((op) => el("option", { value: op, text: op, selected: c.base === op })),
            ),
          ),
          checkbox(`${cid}-ifexists`, "If exists", c.ifExists, (e) => { c.ifExists = e.target.checked; update(); }),
        ),
        field(
          `${cid}-values`,
          "Values (one per line)",
          el("textarea", {
            id: `${cid}-values`,
            rows: Math.max(2, c.values.length),
            class: "mono",
            spellcheck: "false",
            oninput: (e) => {
              c.values = e.target.value.split("\n").filter((v) => v !== "");
              update();
            },
          }, c.values.join("\n")),
        ),
        el("button", {
          type: "button",
          class: "button pv-remove",
          id: `${cid}-remove`,
          text: "Remove condition",
          "aria-label": `Remove condition ${j + 1}`,
          onclick: () => {
            st.conditions.splice(j, 1);
            this.commit();
            this.rerenderSection(i, "conditions");
            setTimeout(() => document.getElementById(`${id}-add-condition`)?.focus());
          },
        }),
      );
    });
    return el(
      "fieldset",
      { class: "pv-conditions" },
      el("legend", { text: "Request conditions" }),
      el("datalist", { id: listId }, [...keys].map((k) => el("option", { value: k }))),
      rows.length ? rows : el("p", { class: "muted", text: "No conditions." }),
      el("button", {
        type: "button",
        class: "button",
        id: `${id}-add-condition`,
        text: "Add condition",
        onclick: () => {
          st.conditions.push(newCondition());
          this.rerenderSection(i, "conditions");
          setTimeout(() => document.getElementById(`${id}-c${st.conditions.length - 1}-key`)?.focus());
        },
      }),
    );
  }
}

/** Adds the visual mode to a policy editor whose textarea asks for it. */
export function attachVisual(textarea, host, view) {
  if (!textarea.dataset.visualCatalog || textarea.visualEditor) return;
  textarea.visualEditor = new VisualEditor(textarea, host, view);
}

// For tests of the reader/writer in a browser console.
export const _internals = { analyze, toDocument, hasDuplicateKeys, sameJson };
