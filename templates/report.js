// The page's only script: draws the matrix, timelines and details from the data block.
// Names from the wire are inserted as text (textContent, setAttribute), never as markup.
(function () {
  "use strict";
  document.body.setAttribute("data-script-ms", Math.round(performance.now()));
  var D = JSON.parse(document.getElementById("data").textContent);
  var S = D.strings, V = D.vendors, K = D.kinds;
  performance.mark("sd-parsed");
  var VERDICT = ["sanctioned", "unsanctioned", "not counted"];
  var MARK = ["\u2713", "\u2717", "\u25cb"];
  var PRINT_MAX = 2000, TL_CHUNK = 300, TL_OPEN_MAX = 1500, NS = "http://www.w3.org/2000/svg";
  var $ = function (id) { return document.getElementById(id); };
  var mx = $("mx"), thead = $("mx-head"), tbody = $("mx-body"), grid = $("grid");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function vname(i) { return V[i].name || V[i].id; }
  function iso(off) {
    var d = new Date(D.t0 + off);
    return isNaN(d.getTime()) ? (D.t0 + off) + " ms" : d.toISOString().replace("T", " ");
  }
  function verdictText(c) {
    return c[2] === 2 && c[9] >= 0 ? "not counted (" + S[c[9]] + ")" : VERDICT[c[2]];
  }

  // IP addresses as BigInt, for sorting and CIDR filters.
  function parseIp(s) {
    s = s.trim();
    if (s.indexOf(":") < 0) {
      var p = s.split(".");
      if (p.length !== 4) return null;
      var n = 0n;
      for (var i = 0; i < 4; i++) {
        if (!/^\d{1,3}$/.test(p[i]) || +p[i] > 255) return null;
        n = (n << 8n) | BigInt(+p[i]);
      }
      return { v: 4, n: n };
    }
    var tail = [];
    var m = s.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
    if (m) {
      var t = parseIp(m[2]);
      if (!t) return null;
      s = m[1] + "0:0";
      tail = [Number(t.n >> 16n), Number(t.n & 0xffffn)];
    }
    var halves = s.split("::");
    if (halves.length > 2) return null;
    var a = halves[0] ? halves[0].split(":") : [], b = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
    var fill = halves.length === 2 ? 8 - a.length - b.length : 0;
    var g = a.concat(new Array(fill).fill("0"), b);
    if (g.length !== 8) return null;
    var x = 0n;
    for (var j = 0; j < 8; j++) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g[j])) return null;
      x = (x << 16n) | BigInt(parseInt(g[j], 16));
    }
    if (tail.length) x = (x >> 32n << 32n) | (BigInt(tail[0]) << 16n) | BigInt(tail[1]);
    return { v: 6, n: x };
  }
  function parseCidr(s) {
    var parts = s.trim().split("/");
    var ip = parseIp(parts[0]);
    if (!ip || parts.length > 2) return null;
    var bits = ip.v === 4 ? 32 : 128;
    var len = parts.length === 2 ? +parts[1] : bits;
    if (!(len >= 0 && len <= bits) || (parts.length === 2 && !/^\d+$/.test(parts[1]))) return null;
    var shift = BigInt(bits - len);
    return { v: ip.v, shift: shift, net: ip.n >> shift };
  }

  var rows = D.hosts.map(function (h, i) {
    var by = {}, u = 0, ev = 0;
    h[1].forEach(function (c) { by[c[0]] = c; if (c[2] === 1) u++; ev += c[1]; });
    return { i: i, ip: h[0], who: h[4] || "", cells: h[1], by: by, u: u, ev: ev, addr: undefined, names: null };
  });
  var byVendor = V.map(function () { return []; });
  rows.forEach(function (r) { r.cells.forEach(function (c) { byVendor[c[0]].push(r); }); });
  performance.mark("sd-rows");

  // ---- matrix: filtering, sorting, and a window of rows rendered at a time
  var F = rows, cols = [], sortKey = "ip", fr = 0, fc = 0, rowH = 25, printing = false;

  // The report lists hosts by address (IPv4 first, then IPv6, numerically): its order is
  // the address order, with no parsing.
  function cmpIp(a, b) { return a.i - b.i; }
  function addr(r) { if (r.addr === undefined) r.addr = parseIp(r.ip); return r.addr; }
  function sortRows() {
    var f;
    if (sortKey === "unsanct") f = function (a, b) { return b.u - a.u || cmpIp(a, b); };
    else if (sortKey === "vendors") f = function (a, b) { return b.cells.length - a.cells.length || cmpIp(a, b); };
    else if (sortKey === "events") f = function (a, b) { return b.ev - a.ev || cmpIp(a, b); };
    else if (sortKey.charAt(0) === "v") {
      var v = +sortKey.slice(1);
      f = function (a, b) { return ((b.by[v] || [0, 0])[1] - (a.by[v] || [0, 0])[1]) || cmpIp(a, b); };
    } else f = cmpIp;
    F.sort(f);
  }
  function names(r) {
    if (r.names === null) {
      var n = [];
      r.cells.forEach(function (c) { c[5].forEach(function (s) { n.push(S[s]); }); });
      r.names = n.join("\n");
    }
    return r.names;
  }
  function applyFilters() {
    var fv = $("f-vendor").value, fd = $("f-verdict").value, q = $("f-host").value.trim().toLowerCase();
    var cs = $("f-cidr").value.trim(), cidr = cs ? parseCidr(cs) : null;
    $("f-cidr").setAttribute("aria-invalid", cs && !cidr ? "true" : "false");
    var v = fv === "" ? -1 : +fv, d = fd === "" ? -1 : +fd;
    F = rows.filter(function (r) {
      if (v >= 0) {
        var c = r.by[v];
        if (!c || (d >= 0 && c[2] !== d)) return false;
      } else if (d >= 0 && !r.cells.some(function (c) { return c[2] === d; })) return false;
      if (q && r.ip.indexOf(q) < 0 && r.who.indexOf(q) < 0 && names(r).indexOf(q) < 0) return false;
      if (cidr) { var a = addr(r); if (!(a && a.v === cidr.v && (a.n >> cidr.shift) === cidr.net)) return false; }
      return true;
    });
    sortRows();
    var seen = {};
    F.forEach(function (r) { r.cells.forEach(function (c) { if (d < 0 || c[2] === d) seen[c[0]] = 1; }); });
    cols = [];
    V.forEach(function (_, i) { if (seen[i] && (v < 0 || i === v)) cols.push(i); });
    $("count").textContent = F.length + " of " + rows.length + " hosts, " + cols.length + " vendors";
    fr = 0; fc = 0; mx.scrollTop = 0;
    performance.mark("sd-filtered");
    head();
    render();
  }
  function head() {
    thead.textContent = "";
    var tr = el("tr");
    tr.setAttribute("role", "row");
    tr.setAttribute("aria-rowindex", "1");
    var th = el("th", "h");
    th.setAttribute("role", "columnheader");
    var b = el("button", null, "Host");
    b.type = "button";
    b.dataset.sort = "ip";
    th.appendChild(b);
    if (sortKey === "ip") th.setAttribute("aria-sort", "ascending");
    tr.appendChild(th);
    cols.forEach(function (v) {
      var th = el("th", "vh");
      th.setAttribute("role", "columnheader");
      th.dataset.vendor = V[v].id;
      var b = el("button", null, vname(v));
      b.type = "button";
      b.title = V[v].id + (V[v].category ? " (" + V[v].category + ")" : "") + ": sort by its events";
      b.dataset.sort = "v" + v;
      th.appendChild(b);
      if (sortKey === "v" + v) th.setAttribute("aria-sort", "descending");
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    // Fixed layout: widths come from these, and the browser need not measure every cell.
    var cg = el("colgroup");
    cg.appendChild(el("col", "h"));
    cols.forEach(function () { cg.appendChild(el("col", "v")); });
    var old = grid.querySelector("colgroup");
    if (old) old.remove();
    grid.insertBefore(cg, thead);
    grid.style.width = (16 + 5 * cols.length) + "rem";
    grid.setAttribute("aria-rowcount", F.length + 1);
    grid.setAttribute("aria-colcount", cols.length + 1);
  }
  function spacer(h) {
    var tr = el("tr"), td = el("td");
    tr.setAttribute("aria-hidden", "true");
    td.colSpan = cols.length + 1;
    td.style.height = h + "px";
    td.style.padding = "0";
    td.style.border = "0";
    tr.appendChild(td);
    return tr;
  }
  function cellLabel(v, c) {
    if (!c) return vname(v) + ": none";
    return vname(v) + ": " + verdictText(c) + ", " + c[1] + (c[1] === 1 ? " event" : " events");
  }
  function render() {
    var n = F.length, start, end;
    if (printing) { start = 0; end = Math.min(n, PRINT_MAX); }
    else {
      var top = Math.max(0, mx.scrollTop - thead.offsetHeight);
      start = Math.max(0, Math.floor(top / rowH) - 10);
      end = Math.min(n, start + Math.ceil((mx.clientHeight || 800) / rowH) + 20);
    }
    if (fr < start || fr >= end) fr = Math.min(Math.max(fr, start), Math.max(start, end - 1));
    var d = $("f-verdict").value === "" ? -1 : +$("f-verdict").value;
    var frag = document.createDocumentFragment();
    if (start > 0) frag.appendChild(spacer(start * rowH));
    for (var k = start; k < end; k++) {
      var r = F[k], tr = el("tr");
      tr.setAttribute("role", "row");
      tr.setAttribute("aria-rowindex", k + 2);
      tr.dataset.ip = r.ip;
      var th = el("th", "h", r.ip + (r.who ? " " + r.who : "") + (r.u ? "  " + MARK[1] + r.u : ""));
      if (r.who) th.title = r.ip + " " + r.who;
      th.setAttribute("role", "rowheader");
      th.dataset.r = k; th.dataset.c = 0;
      th.tabIndex = k === fr && fc === 0 ? 0 : -1;
      if (r.u) th.setAttribute("aria-label", r.ip + ", " + r.u + " unsanctioned vendors");
      tr.appendChild(th);
      for (var j = 0; j < cols.length; j++) {
        var v = cols[j], c = r.by[v], td;
        if (c) {
          td = el("td", "c v" + c[2] + (d >= 0 && c[2] !== d ? " dim" : ""),
            MARK[c[2]] + " " + c[1] + (c[9] >= 0 ? " " + S[c[9]].charAt(0) : ""));
          td.dataset.vendor = V[v].id;
          td.dataset.events = c[1];
          td.dataset.verdict = VERDICT[c[2]];
        } else td = el("td");
        td.setAttribute("role", "gridcell");
        td.setAttribute("aria-label", cellLabel(v, c));
        td.dataset.r = k; td.dataset.c = j + 1;
        td.tabIndex = k === fr && fc === j + 1 ? 0 : -1;
        tr.appendChild(td);
      }
      frag.appendChild(tr);
    }
    if (end < n) frag.appendChild(spacer((n - end) * rowH));
    tbody.textContent = "";
    tbody.appendChild(frag);
    performance.mark("sd-rendered");
    if (!printing && end > start) {
      var first = tbody.querySelector("tr[data-ip]");
      var h = first ? first.getBoundingClientRect().height : 0;
      if (h > 0 && Math.abs(h - rowH) > 0.5) { rowH = h; render(); return; }
    }
    $("print-note").textContent = n > end - start
      ? "Rows " + (start + 1) + "\u2013" + end + " of " + n + " hosts printed; filter the matrix to print others."
      : "";
  }
  function cellAt(r, c) { return tbody.querySelector('[data-r="' + r + '"][data-c="' + c + '"]'); }
  function moveTo(r, c) {
    fr = Math.max(0, Math.min(F.length - 1, r));
    fc = Math.max(0, Math.min(cols.length, c));
    var top = fr * rowH, hh = thead.offsetHeight;
    if (top < mx.scrollTop) mx.scrollTop = top;
    else if (top + rowH + hh > mx.scrollTop + mx.clientHeight) mx.scrollTop = top + rowH + hh - mx.clientHeight;
    render();
    var e = cellAt(fr, fc);
    if (e) e.focus();
  }
  var ticking = false;
  mx.addEventListener("scroll", function () {
    if (ticking) return;
    ticking = true;
    requestAnimationFrame(function () {
      ticking = false;
      var had = document.activeElement && tbody.contains(document.activeElement);
      render();
      if (had) { var e = cellAt(fr, fc); if (e) e.focus({ preventScroll: true }); }
    });
  });
  grid.addEventListener("keydown", function (e) {
    var t = e.target.closest("[data-r]");
    if (!t) return;
    var r = +t.dataset.r, c = +t.dataset.c;
    switch (e.key) {
      case "ArrowDown": r++; break;
      case "ArrowUp": r--; break;
      case "ArrowRight": c++; break;
      case "ArrowLeft": c--; break;
      case "PageDown": r += 20; break;
      case "PageUp": r -= 20; break;
      case "Home": c = 0; if (e.ctrlKey) r = 0; break;
      case "End": c = cols.length; if (e.ctrlKey) r = F.length - 1; break;
      case "Enter": case " ": show(r, c); e.preventDefault(); return;
      default: return;
    }
    e.preventDefault();
    moveTo(r, c);
  });
  grid.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-sort]");
    if (b) { sortKey = b.dataset.sort; $("f-sort").value = sortKey.charAt(0) === "v" ? "ip" : sortKey; applyFilters(); return; }
    var t = e.target.closest("[data-r]");
    if (!t) return;
    fr = +t.dataset.r; fc = +t.dataset.c;
    render();
    var x = cellAt(fr, fc);
    if (x) x.focus();
    show(fr, fc);
  });

  // ---- details
  function dl(pairs) {
    var d = el("dl");
    pairs.forEach(function (p) { d.appendChild(el("dt", null, p[0])); d.appendChild(el("dd", null, p[1])); });
    return d;
  }
  function list(items, more) {
    var ul = el("ul");
    items.forEach(function (s) { ul.appendChild(el("li", null, s)); });
    if (more) ul.appendChild(el("li", null, "\u2026 and " + more + " more, counted but not listed"));
    if (!items.length && !more) ul.appendChild(el("li", null, "none"));
    return ul;
  }
  function chain(c) {
    var parts = [];
    K.forEach(function (k, i) { if (c[10][i]) parts.push(k.replace("_", " ") + " \u00d7" + c[10][i]); });
    return parts.join(" \u2192 ") || "-";
  }
  function cellDetail(r, c) {
    var box = $("detail-body");
    box.textContent = "";
    box.appendChild(el("h3", null, vname(c[0]) + " on " + r.ip));
    var p = [["vendor id", V[c[0]].id], ["verdict", MARK[c[2]] + " " + verdictText(c)]];
    if (c[9] >= 0) p.push(["role", S[c[9]]]);
    p.push(["events", String(c[1])], ["first seen", iso(c[3])], ["last seen", iso(c[4])],
      ["match", c[8] ? "strong (the vendor's own name)" : "weak (shared infrastructure only)"]);
    if (V[c[0]].category) p.push(["category", V[c[0]].category]);
    p.push(["evidence (by kind, question \u2192 answer \u2192 connection)", chain(c)]);
    box.appendChild(dl(p));
    box.appendChild(el("h4", null, "Hostnames"));
    box.appendChild(list(c[5].map(function (s) { return S[s]; }), c[6]));
    box.appendChild(el("h4", null, "Tenants"));
    box.appendChild(list(c[7].map(function (s) { return S[s]; }), 0));
    // The host's identity, regions, exposures and chains are markup below, when listed.
    if (document.getElementById("host-" + r.ip)) {
      var a = el("a", null, "Identity, region, exposures and evidence chain of " + r.ip);
      a.setAttribute("href", "#host-" + r.ip);
      box.appendChild(el("p")).appendChild(a);
    }
    box.appendChild(el("p", null, "Every single observation, with its time, ports and kind, is in the --events output (NDJSON)."));
  }
  function hostDetail(r) {
    var box = $("detail-body"), h = D.hosts[r.i];
    box.textContent = "";
    box.appendChild(el("h3", null, r.ip));
    box.appendChild(dl([["vendors", String(r.cells.length)], ["unsanctioned", String(r.u)], ["events", String(r.ev)],
      ["connections", String(h[2][0])], ["with a name", String(h[2][1])],
      ["encrypted hellos without a name", h[2][2] + " of " + h[2][3]], ["hellos using ECH", String(h[2][4])]]));
    if (r.cells.length) {
      var t = el("table"), tr = el("tr");
      ["vendor", "verdict", "events", "first seen", "last seen"].forEach(function (s) { var th = el("th", null, s); th.scope = "col"; tr.appendChild(th); });
      t.appendChild(tr);
      r.cells.forEach(function (c) {
        var row = el("tr");
        [vname(c[0]), MARK[c[2]] + " " + verdictText(c), String(c[1]), iso(c[3]), iso(c[4])].forEach(function (s) { row.appendChild(el("td", null, s)); });
        t.appendChild(row);
      });
      box.appendChild(t);
    }
    if (h[3].length) {
      box.appendChild(el("h4", null, "Encrypted-DNS resolvers (names resolved there are invisible)"));
      box.appendChild(list(h[3].map(function (e) { return S[e[0]] + " (" + e[1] + ", " + e[2] + " connections)"; }), 0));
    }
  }
  function show(k, c) {
    var r = F[k];
    if (!r) return;
    if (c === 0) hostDetail(r);
    else { var cell = r.by[cols[c - 1]]; if (cell) cellDetail(r, cell); }
  }

  // ---- timelines: one <details> per vendor, drawn when opened
  var W = 900, L = 150, RH = 16, AX = 18;
  function tlChunk(box, v, from) {
    var list = byVendor[v], to = Math.min(list.length, from + TL_CHUNK), n = to - from, span = D.span || 1;
    var s = svg("svg", { "class": "tl", viewBox: "0 0 " + W + " " + (n * RH + AX), width: W, height: n * RH + AX, role: "group" });
    s.setAttribute("aria-label", vname(v) + " timeline, hosts " + (from + 1) + " to " + to + " of " + list.length);
    var a = svg("text", { x: L, y: 12 }); a.textContent = iso(0); s.appendChild(a);
    var z = svg("text", { x: W, y: 12, "text-anchor": "end" }); z.textContent = iso(D.span); s.appendChild(z);
    for (var k = from; k < to; k++) {
      var r = list[k], c = r.by[v], y = AX + (k - from) * RH;
      var t = svg("text", { x: 0, y: y + 11 }); t.textContent = r.ip; s.appendChild(t);
      s.appendChild(svg("line", { "class": "strip", x1: L, x2: W, y1: y + 7, y2: y + 7 }));
      var x = L + (c[3] / span) * (W - L - 3), w = Math.max(3, ((c[4] - c[3]) / span) * (W - L - 3));
      var m = svg("rect", { "class": "mk v" + c[2], x: x.toFixed(1), y: y + 2, width: w.toFixed(1), height: 10, tabindex: 0, role: "img" });
      m.setAttribute("data-r", r.i);
      m.setAttribute("data-v", v);
      m.setAttribute("data-host", r.ip);
      m.setAttribute("aria-label", tlText(r, c));
      var ti = svg("title", {}); ti.textContent = tlText(r, c); m.appendChild(ti);
      s.appendChild(m);
    }
    box.appendChild(s);
    if (to < list.length) {
      var b = el("button", null, "Show the next " + Math.min(TL_CHUNK, list.length - to) + " hosts");
      b.type = "button";
      b.addEventListener("click", function () { b.remove(); tlChunk(box, v, to); });
      box.appendChild(b);
    }
  }
  function tlText(r, c) {
    var n = c[5].map(function (s) { return S[s]; });
    return r.ip + " \u00b7 " + vname(c[0]) + " \u00b7 " + MARK[c[2]] + " " + verdictText(c) + " \u00b7 " + iso(c[3]) + " \u2192 " + iso(c[4]) +
      " \u00b7 " + c[1] + " events \u00b7 " + (n.slice(0, 3).join(", ") || "no name") + (n.length > 3 ? " \u2026" : "");
  }
  function timelines() {
    var box = $("tl-list"), total = rows.reduce(function (a, r) { return a + r.cells.length; }, 0);
    V.forEach(function (vv, v) {
      var list = byVendor[v];
      if (!list.length) return;
      list.sort(function (a, b) { return a.by[v][3] - b.by[v][3] || cmpIp(a, b); });
      var d = el("details", "tl"), s = el("summary"), u = 0, ev = 0;
      list.forEach(function (r) { ev += r.by[v][1]; if (r.by[v][2] === 1) u++; });
      s.textContent = vname(v) + " \u2014 " + list.length + " hosts, " + ev + " events" + (u ? ", " + MARK[1] + " " + u + " unsanctioned" : "");
      d.dataset.vendor = vv.id;
      d.appendChild(s);
      var built = false;
      d.addEventListener("toggle", function () { if (d.open && !built) { built = true; tlChunk(d, v, 0); } });
      box.appendChild(d);
      if (total <= TL_OPEN_MAX) d.open = true;
    });
  }
  function status(e) {
    var m = e.target.closest && e.target.closest(".mk");
    if (!m) return;
    var r = rows[+m.getAttribute("data-r")], c = r.by[+m.getAttribute("data-v")];
    $("tl-status").textContent = tlText(r, c);
  }
  $("tl-list").addEventListener("mouseover", status);
  $("tl-list").addEventListener("focusin", status);
  $("tl-list").addEventListener("keydown", function (e) {
    var m = e.target.closest(".mk");
    if (m && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      var r = rows[+m.getAttribute("data-r")];
      cellDetail(r, r.by[+m.getAttribute("data-v")]);
      $("detail").scrollIntoView();
    }
  });

  // ---- wiring
  var fsel = $("f-vendor");
  V.map(function (_, i) { return i; })
    .filter(function (i) { return byVendor[i].length; })
    .sort(function (a, b) { return vname(a).localeCompare(vname(b)); })
    .forEach(function (i) { var o = el("option", null, vname(i) + " (" + byVendor[i].length + ")"); o.value = i; fsel.appendChild(o); });
  ["f-vendor", "f-verdict", "f-sort"].forEach(function (id) {
    $(id).addEventListener("change", function () { if (id === "f-sort") sortKey = $(id).value; applyFilters(); });
  });
  var typing = null;
  ["f-host", "f-cidr"].forEach(function (id) {
    $(id).addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(applyFilters, 150); });
  });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); applyFilters(); });
  function setPrinting(p) { if (printing !== p) { printing = p; render(); } }
  window.addEventListener("beforeprint", function () { setPrinting(true); });
  window.addEventListener("afterprint", function () { setPrinting(false); });
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    if (mq.addEventListener) mq.addEventListener("change", function (e) { setPrinting(e.matches); });
  }
  performance.mark("sd-wired");
  applyFilters();
  // Ready once the matrix has been laid out and painted: after the next frame.
  requestAnimationFrame(function () {
    setTimeout(function () {
      performance.mark("sd-ready");
      document.body.setAttribute("data-ready-ms", Math.round(performance.now()));
      document.body.setAttribute("data-ready", "1");
      // Timelines after the matrix is usable: they are below the fold.
      setTimeout(function () { timelines(); document.body.setAttribute("data-timelines", "1"); }, 0);
    }, 0);
  });
})();
