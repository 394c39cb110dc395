// Shared by the pages casesyncd serves (dashboard.html, supervision.html); the daemon puts it
// where a page says /*PAGE_COMMON*/ (daemon/page_text.h). Self-contained: no other origin.

// The catalogue the daemon put in (null in English): t() shows a text in the page's language;
// fmt() fills its {name} slots. Values from the API (states, stages, attributions) are msgids too.
const CATALOG = /*CATALOG*/null;
function t(text) { return (CATALOG && CATALOG[text]) || text; }
function fmt(text, values) { return text.replace(/\{(\w+)\}/g, (m, k) => String(values[k] ?? m)); }

// Builds an element; every text goes through textContent, never innerHTML.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "style") e.setAttribute("style", v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}

// A table of rows, or `empty` as a note when there are none.
function table(headers, rows, empty) {
  if (!rows.length) return el("p", {class: "empty"}, empty);
  return el("table", {}, el("thead", {}, el("tr", {}, ...headers.map(h => el("th", {}, h)))),
            el("tbody", {}, ...rows));
}

// The clerk's token lives in sessionStorage only (this tab, until it closes; no cookie, so no
// other site can make the browser send it). One handed over in the fragment (#token=...) is
// taken the same way and removed from the address (the fragment never reaches the server).
const TOKEN_KEY = "casesync.token";
function takeTokenFromAddress() {
  const m = location.hash.match(/^#token=([A-Za-z0-9_.-]+)$/);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, m[1]);
  history.replaceState(null, "", location.pathname + location.search);
}

// The language link keeps what the address asks for (the period, a trace): only the language
// changes.
function keepAddressOnLanguageLink() {
  const link = document.getElementById("lang");
  if (!link) return;
  const q = new URLSearchParams(location.search);
  q.set("lang", link.getAttribute("hreflang"));
  link.href = "?" + q.toString() + location.hash;
}
