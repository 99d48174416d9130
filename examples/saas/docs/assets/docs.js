"use strict";
// Renders the server's OpenAPI 3.1 document: every operation grouped by
// tag, with its parameters, request body, answers and their schemas, then
// the named schemas. Text only goes through textContent: nothing of the
// document is parsed as HTML.
(function () {
  const METHODS = ["get", "put", "post", "patch", "delete", "head", "options"];
  const statusEl = document.getElementById("status");

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  // prose renders text with `code` spans, one paragraph per blank line.
  function prose(text, cls) {
    const out = document.createDocumentFragment();
    if (!text) return out;
    for (const para of text.split(/\n\s*\n/)) {
      const p = el("p", { class: cls });
      para.split("`").forEach((part, i) => p.append(i % 2 ? el("code", { text: part }) : document.createTextNode(part)));
      out.append(p);
    }
    return out;
  }

  function refName(ref) {
    return ref.slice(ref.lastIndexOf("/") + 1);
  }

  function schemaLink(ref) {
    const name = refName(ref);
    return el("a", { href: "#schema-" + name, class: "type" }, name);
  }

  // typeLabel is a one-line description of a schema's type.
  function typeLabel(s) {
    if (!s) return el("span", { class: "type" }, "any");
    if (s.$ref) return schemaLink(s.$ref);
    const span = el("span", { class: "type" });
    let types = Array.isArray(s.type) ? s.type.slice() : s.type ? [s.type] : [];
    const parts = [];
    if (types.length === 0 && !s.anyOf && !s.oneOf) parts.push("any JSON");
    for (const t of types) {
      if (t === "array") parts.push("array");
      else if (t === "object" && s.additionalProperties && typeof s.additionalProperties === "object") parts.push("map");
      else parts.push(s.format && t !== "null" ? t + " (" + s.format + ")" : t);
    }
    span.append(parts.join(" | "));
    if (s.enum) span.append(": " + s.enum.map((v) => JSON.stringify(v)).join(", "));
    const limits = [];
    if (s.minLength !== undefined) limits.push("min length " + s.minLength);
    if (s.maxLength !== undefined) limits.push("max length " + s.maxLength);
    if (s.minimum !== undefined) limits.push("≥ " + s.minimum);
    if (s.maximum !== undefined) limits.push("≤ " + s.maximum);
    if (s.minItems !== undefined) limits.push("min items " + s.minItems);
    if (s.maxItems !== undefined) limits.push("max items " + s.maxItems);
    if (s.default !== undefined) limits.push("default " + JSON.stringify(s.default));
    if (limits.length) span.append(" [" + limits.join(", ") + "]");
    return span;
  }

  // schemaView renders a schema as a tree: objects list their properties,
  // arrays and maps their values, anyOf/oneOf their alternatives; a $ref
  // links to the named schema.
  function schemaView(s) {
    const frag = document.createDocumentFragment();
    if (!s) return frag;
    if (s.$ref) {
      frag.append(schemaLink(s.$ref));
      return frag;
    }
    const alts = s.oneOf || s.anyOf;
    if (alts) {
      const list = el("ul", { class: "schema" });
      for (const a of alts) list.append(el("li", {}, s.oneOf ? "one of: " : "any of: ", schemaView(a)));
      frag.append(list);
      return frag;
    }
    frag.append(typeLabel(s));
    if (s.description) frag.append(" — ", prose(s.description).textContent);
    if (s.items) {
      const list = el("ul", { class: "schema" }, el("li", {}, "items: ", schemaView(s.items)));
      frag.append(list);
    }
    if (s.additionalProperties && typeof s.additionalProperties === "object") {
      frag.append(el("ul", { class: "schema" }, el("li", {}, "values: ", schemaView(s.additionalProperties))));
    }
    if (s.properties) {
      const required = new Set(s.required || []);
      const list = el("ul", { class: "schema" });
      for (const [name, prop] of Object.entries(s.properties)) {
        list.append(el("li", {}, el("code", { text: name }), " ", required.has(name) ? el("span", { class: "req" }, "required") : null,
          " ", schemaView(prop)));
      }
      frag.append(list);
    }
    return frag;
  }

  function content(c) {
    const frag = document.createDocumentFragment();
    for (const [type, media] of Object.entries(c || {})) {
      frag.append(el("div", {}, el("code", { text: type }), " ", schemaView(media.schema)));
    }
    return frag;
  }

  function operationView(method, path, o) {
    const route = el("span", { class: "op-route" }, el("span", { class: "method " + method }, method.toUpperCase()), " ",
      el("code", { class: "path", text: path }));
    const secured = Array.isArray(o.security) && o.security.length > 0;
    const summary = el("summary", {}, route, el("span", { class: "op-summary", text: o.summary }),
      secured ? el("span", { class: "badge auth" }, o["x-required-role"] ? "bearer · " + o["x-required-role"] : "bearer") : null,
      o["x-planned"] ? el("span", { class: "badge planned" }, "planned") : null);
    const body = el("div", { class: "op-body" });
    body.append(prose(o.description));
    body.append(el("p", { class: "desc-muted" }, secured
      ? "Needs a bearer token" + (o["x-required-role"] ? " with the role " + o["x-required-role"] : "") + "."
      : "Public: no token."));
    if (o.parameters && o.parameters.length) {
      const table = el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "description")));
      for (const p of o.parameters) {
        table.append(el("tr", {}, el("td", {}, el("code", { text: p.name }), p.required ? el("span", { class: "req" }, " required") : null),
          el("td", { text: p.in }), el("td", {}, typeLabel(p.schema)), el("td", {}, prose(p.description))));
      }
      body.append(el("h3", {}, "Parameters"), table);
    }
    if (o.requestBody) {
      body.append(el("h3", {}, "Request body"), prose(o.requestBody.description), content(o.requestBody.content));
    }
    body.append(el("h3", {}, "Responses"));
    const codes = Object.keys(o.responses || {}).sort();
    for (const code of codes) {
      const r = o.responses[code];
      const headers = Object.keys(r.headers || {});
      body.append(el("div", { class: "response" }, el("span", { class: "status" }, code), r.description,
        headers.length ? el("div", { class: "desc-muted" }, "headers: " + headers.join(", ")) : null, content(r.content)));
    }
    return el("details", { class: "op", id: o.operationId, "data-method": method.toUpperCase(), "data-path": path },
      summary, body);
  }

  function render(doc) {
    const resolved = doc.components && doc.components.schemas ? doc.components.schemas : {};
    document.getElementById("title").textContent = doc.info.title;
    document.title = doc.info.title + " — API reference";
    document.getElementById("version").textContent = "version " + doc.info.version + " · OpenAPI " + doc.openapi;
    document.getElementById("intro").append(prose(doc.info.description));

    const byTag = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const method of METHODS) {
        const o = item[method];
        if (!o) continue;
        const name = (o.tags && o.tags[0]) || "Other";
        if (!byTag.has(name)) byTag.set(name, { tag: { name: name }, ops: [] });
        byTag.get(name).ops.push([method, path, o]);
      }
    }
    const main = document.getElementById("ops");
    const toc = document.getElementById("toc");
    main.replaceChildren();
    let n = 0;
    for (const { tag, ops } of byTag.values()) {
      if (!ops.length) continue;
      const id = "tag-" + tag.name.replace(/[^A-Za-z0-9]+/g, "-");
      toc.append(el("a", { href: "#" + id }, tag.name));
      const section = el("section", { class: "tag", id: id }, el("h2", {}, tag.name), prose(tag.description, "tag-desc"));
      for (const [method, path, o] of ops) {
        section.append(operationView(method, path, o));
        n++;
      }
      main.append(section);
    }
    toc.append(el("a", { href: "#schemas" }, "Schemas"));
    const schemas = el("section", { id: "schemas" }, el("h2", {}, "Schemas"));
    for (const name of Object.keys(resolved).sort()) {
      schemas.append(el("div", { id: "schema-" + name, class: "schema-def" }, el("h3", {}, name), schemaView(resolved[name])));
    }
    main.append(schemas);
    main.prepend(el("p", { id: "status", class: "desc-muted" }, n + " routes."));
    document.body.dataset.state = "ready";
  }

  function filter(q) {
    q = q.trim().toLowerCase();
    for (const d of document.querySelectorAll("details.op")) {
      const text = (d.dataset.method + " " + d.dataset.path + " " + d.querySelector(".op-summary").textContent).toLowerCase();
      d.classList.toggle("hidden", q !== "" && !q.split(/\s+/).every((w) => text.includes(w)));
    }
    for (const s of document.querySelectorAll("section.tag")) {
      s.classList.toggle("hidden", !s.querySelector("details.op:not(.hidden)"));
    }
  }

  document.getElementById("filter").addEventListener("input", (e) => filter(e.target.value));
  fetch(document.body.dataset.spec, { headers: { Accept: "application/json" } })
    .then((r) => {
      if (!r.ok) throw new Error("the server answered " + r.status);
      return r.json();
    })
    .then(render)
    .catch((err) => {
      statusEl.textContent = "Could not load the API description: " + err.message;
      statusEl.className = "error";
      document.body.dataset.state = "error";
      console.error(err);
    });
})();
