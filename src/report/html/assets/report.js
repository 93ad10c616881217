// ikescope HTML report: draws the header, the tunnel table, the finding cards, and each
// tunnel's views when it is opened, from the JSON document embedded in the page. Hand-written,
// no library, nothing fetched.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("ikescope-data").textContent);
  var S = D.strings;
  var SVGNS = "http://www.w3.org/2000/svg";
  // Failing tunnels are opened (and drawn) at load while there are at most this many.
  var AUTO_OPEN = 20;
  var F = { RETRANSMIT: 1, RESPONSE: 2, UNANSWERED: 4, REFUSAL: 8, FOLDED: 16, EVIDENCE: 32 };
  var STATE_ORDER = { failed: 0, down: 1, flapping: 2, unknown: 3, up: 4 };
  var SEV_ORDER = { error: 0, warning: 1, info: 2 };
  var drawn = {};

  function h(tag, attrs) {
    var e = document.createElement(tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function s(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function setAttrs(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
  }
  function add(e, kid) {
    if (kid === null || kid === undefined) return;
    if (Array.isArray(kid)) kid.forEach(function (k) { add(e, k); });
    else if (typeof kid === "string" || typeof kid === "number") e.appendChild(document.createTextNode(String(kid)));
    else e.appendChild(kid);
  }
  function iso(ms) {
    if (D.origin_ms === null || D.origin_ms === undefined) return "";
    return new Date(D.origin_ms + ms).toISOString().replace("T", " ").replace("Z", " UTC");
  }
  function secs(ms) {
    if (ms < 0) return "-" + secs(-ms);
    var v = ms / 1000;
    return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3)) + " s";
  }
  function bytes(n) {
    var u = ["B", "kB", "MB", "GB", "TB"], i = 0;
    while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
    return (i ? n.toFixed(1) : String(n)) + " " + u[i];
  }
  function count(list, key) {
    var m = {};
    list.forEach(function (x) { var k = key(x); m[k] = (m[k] || 0) + 1; });
    return m;
  }
  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "\u2026" : text; }
  function badge(cls, text) { return h("span", { "class": "badge " + cls, text: text }); }
  function fileName(i) { return D.inputs[i] ? D.inputs[i].file : "file " + i; }
  function frameLabel(file, frame) {
    return D.inputs.length > 1 ? fileName(file) + ":" + frame : "frame " + frame;
  }
  function evId(ti, file, frame) { return "ev-" + ti + "-" + file + "-" + frame; }
  var tunnelIndex = {};
  D.tunnels.forEach(function (t, i) { t.index = i; tunnelIndex[t.id] = i; });
  D.findings.forEach(function (f, i) { f.index = i; });

  // ---- header ---------------------------------------------------------------------------
  function header() {
    var states = count(D.tunnels, function (t) { return t.state; });
    var kinds = count(D.findings, function (f) { return f.severity + " " + f.kind; });
    var span = D.tunnels.length ? iso(0) + " \u2192 " + iso(D.end) + " (" + secs(D.end) + ")" : "no activity";
    return h("header", null,
      h("h1", { text: "ikescope report" }),
      h("dl", { "class": "facts" },
        h("dt", { text: "Inputs" }),
        h("dd", null, D.inputs.map(function (x, i) {
          return h("div", { "class": "mono" }, x.file + " \u2014 " + x.packets + " packets (" + x.ike_packets + " IKE, " + x.esp_packets + " ESP)");
        })),
        h("dt", { text: "Time span" }), h("dd", { text: span }),
        h("dt", { text: "Tunnels" }),
        h("dd", { id: "tunnels-by-state" }, D.tunnels.length + " \u2014 ",
          Object.keys(states).sort(function (a, b) { return STATE_ORDER[a] - STATE_ORDER[b]; }).map(function (k) {
            return [badge("st-" + k, k.toUpperCase() + " " + states[k]), " "];
          })),
        h("dt", { text: "Findings" }),
        h("dd", { id: "findings-by-kind" }, D.findings.length ? Object.keys(kinds).sort(function (a, b) {
          return SEV_ORDER[a.split(" ")[0]] - SEV_ORDER[b.split(" ")[0]] || (a < b ? -1 : 1);
        }).map(function (k) {
          var p = k.split(" ");
          return [badge("sev-" + p[0], p[0].toUpperCase() + " " + p[1] + " \u00d7" + kinds[k]), " "];
        }) : "none"),
        D.bandwidth_bps ? [h("dt", { text: "Bandwidth" }), h("dd", { text: (D.bandwidth_bps / 1e6) + " Mbit/s (--bandwidth)" })] : null));
  }

  // ---- tunnel table ---------------------------------------------------------------------
  var COLUMNS = [
    { key: "id", title: "Tunnel", value: function (t) { return t.id; } },
    { key: "state", title: "State", value: function (t) { return STATE_ORDER[t.state]; } },
    { key: "ike", title: "IKE", value: function (t) { return t.versions.join(","); } },
    { key: "findings", title: "Findings", value: function (t) { return t.kinds.join(" "); } },
    { key: "messages", title: "IKE messages", num: true, value: function (t) { return messages(t); } },
    { key: "esp", title: "ESP bytes", num: true, value: function (t) { return t.esp_bytes; } }
  ];
  function messages(t) {
    return t.ladder.rows.reduce(function (n, r) { return n + r[8]; }, 0);
  }
  var sortState = { key: null, dir: 1 };
  // Rows listed before "show all" (sorting and filtering always see every tunnel).
  var rowLimit = 200;
  function defaultOrder(a, b) {
    return (b.failing - a.failing) || (STATE_ORDER[a.state] - STATE_ORDER[b.state]) || (a.index - b.index);
  }
  function table() {
    var kinds = {}, versions = {};
    D.tunnels.forEach(function (t) {
      t.kinds.forEach(function (k) { kinds[k] = 1; });
      t.versions.forEach(function (v) { versions[v] = 1; });
    });
    function select(id, label, values) {
      return h("label", null, label, h("select", { id: id, oninput: refresh },
        h("option", { value: "", text: "any" }),
        values.map(function (v) { return h("option", { value: v, text: v }); })));
    }
    var filters = h("div", { "class": "filters", role: "search" },
      select("f-state", "State", Object.keys(STATE_ORDER)),
      h("label", null, "Peer address contains", h("input", { id: "f-peer", type: "search", oninput: refresh })),
      select("f-version", "IKE version", Object.keys(versions)),
      select("f-kind", "Finding kind", Object.keys(kinds).sort()),
      h("span", { id: "f-count", "class": "muted" }));
    var head = h("tr", null, COLUMNS.map(function (c) {
      return h("th", { scope: "col", "class": c.num ? "num" : null, "data-key": c.key, tabindex: "0",
        onclick: function () { sortBy(c.key); }, onkeydown: function (e) { if (e.key === "Enter") sortBy(c.key); } }, c.title);
    }));
    var tbl = h("table", { "class": "tunnels", id: "tunnel-table" }, h("thead", null, head), h("tbody", null));
    return h("section", null, h("h2", { text: "Tunnels" }),
      h("p", { "class": "legend" }, "Failing tunnels first. Click a column to sort, a row to open the tunnel."),
      filters, tbl);
  }
  function sortBy(key) {
    sortState = { key: key, dir: sortState.key === key ? -sortState.dir : 1 };
    refresh();
  }
  function refresh() {
    var state = document.getElementById("f-state").value;
    var peer = document.getElementById("f-peer").value.trim();
    var version = document.getElementById("f-version").value;
    var kind = document.getElementById("f-kind").value;
    var rows = D.tunnels.filter(function (t) {
      return (!state || t.state === state) &&
        (!peer || t.peers.some(function (p) { return p.indexOf(peer) >= 0; })) &&
        (!version || t.versions.indexOf(Number(version)) >= 0) &&
        (!kind || t.kinds.indexOf(kind) >= 0);
    });
    var col = COLUMNS.filter(function (c) { return c.key === sortState.key; })[0];
    rows.sort(col ? function (a, b) {
      var x = col.value(a), y = col.value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sortState.dir || a.index - b.index;
    } : defaultOrder);
    document.querySelectorAll("#tunnel-table th").forEach(function (th) {
      if (th.getAttribute("data-key") === sortState.key) th.setAttribute("aria-sort", sortState.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    var body = document.querySelector("#tunnel-table tbody");
    body.textContent = "";
    var more = rows.length - rowLimit;
    if (more > 0) rows = rows.slice(0, rowLimit);
    rows.forEach(function (t) {
      body.appendChild(h("tr", { "class": "tunnel-row", "data-tunnel": t.id, onclick: function () { openTunnel(t.index, true); } },
        h("td", { "class": "mono" }, t.id),
        h("td", null, badge("st-" + t.state, t.state.toUpperCase())),
        h("td", { text: t.versions.map(function (v) { return "v" + v; }).join(", ") }),
        h("td", { text: t.kinds.join(", ") || "\u2014" }),
        h("td", { "class": "num", text: messages(t) }),
        h("td", { "class": "num", text: bytes(t.esp_bytes) })));
    });
    if (more > 0) {
      body.appendChild(h("tr", { "class": "more" }, h("td", { colspan: COLUMNS.length },
        more + " more tunnels in this order: ",
        h("button", { type: "button", onclick: function () { rowLimit = Infinity; refresh(); } }, "show all"))));
    }
    document.getElementById("f-count").textContent = (rows.length + Math.max(more, 0)) + " of " + D.tunnels.length +
      " tunnels" + (more > 0 ? ", first " + rows.length + " listed" : "");
  }

  // ---- tunnel sections ------------------------------------------------------------------
  // Sections exist for the failing tunnels while there are few, and are made for the others when
  // they are opened (from the table, a card or the script), so thousands of healthy tunnels cost
  // nothing at load.
  function tunnelSections() {
    var order = D.tunnels.slice().sort(defaultOrder);
    var failing = order.filter(function (t) { return t.failing; });
    var few = failing.length <= AUTO_OPEN;
    var sec = h("section", { id: "tunnel-views" }, h("h2", { text: "Tunnel views" }),
      h("p", { "class": "legend" }, few ? "The failing tunnels are open; open the others from the table."
        : failing.length + " failing tunnels: open them from the table (failing first)."));
    if (few) {
      failing.forEach(function (t) {
        var d = section(t, sec);
        d.open = true;
      });
    }
    return sec;
  }
  function section(t, parent) {
    var d = h("details", { "class": "tunnel", id: "t-" + t.index, "data-tunnel": t.id },
      h("summary", null, t.id + " ", badge("st-" + t.state, t.state.toUpperCase()),
        t.kinds.length ? " " + t.kinds.join(", ") : "",
        t.bgp.map(function (b) { return " \u00b7 BGP " + b.state; }).join("")));
    d.addEventListener("toggle", function () { if (d.open) draw(t.index); });
    (parent || document.getElementById("tunnel-views")).appendChild(d);
    return d;
  }
  function openTunnel(ti, scroll) {
    var d = document.getElementById("t-" + ti) || section(D.tunnels[ti]);
    d.open = true;
    draw(ti);
    if (scroll) d.scrollIntoView({ block: "start" });
    return d;
  }
  function draw(ti) {
    if (drawn[ti]) return;
    drawn[ti] = true;
    var t = D.tunnels[ti];
    var d = document.getElementById("t-" + ti);
    var own = D.findings.filter(function (f) { return f.tunnel === t.id; });
    d.appendChild(h("div", { "class": "muted" },
      "Peers " + t.peers.join(" \u2194 ") + " \u00b7 IKEv" + t.versions.join("/") + " \u00b7 " +
      iso(t.first) + " \u2192 " + iso(t.last)));
    (t.software || []).forEach(function (line) { d.appendChild(h("div", { "class": "muted software", text: "Software " + line })); });
    if (own.length) d.appendChild(h("div", { "class": "cards" }, own.map(function (f) { return card(f, false); })));
    t.bgp.forEach(function (b) { d.appendChild(h("div", { "class": "muted bgp", text: "BGP " + b.line })); });
    d.appendChild(h("h3", { text: "Ladder" }));
    var detail = h("pre", { "class": "detail", "aria-live": "polite" }, "Click an arrow for the whole message.");
    d.appendChild(h("div", { "class": "view ladder" }, ladder(t, detail)));
    d.appendChild(detail);
    var scale = timeScale(t);
    d.appendChild(h("h3", { text: "SA timeline" }));
    d.appendChild(h("div", { "class": "view timeline" }, timeline(t, scale)));
    d.appendChild(h("p", { "class": "legend" }, cadence(t.timeline)));
    d.appendChild(h("h3", { text: "ESP throughput" }));
    if (!t.throughput.length) d.appendChild(h("p", { "class": "muted", text: "No ESP on this tunnel." }));
    t.throughput.forEach(function (dir) {
      d.appendChild(h("div", { "class": "view throughput", "data-from": dir.from }, throughput(dir, scale)));
    });
  }

  // ---- shared time axis -----------------------------------------------------------------
  var CW = 980, CL = 250, CR = 70;
  function timeScale(t) {
    var t0 = t.first, t1 = t.last;
    t.throughput.forEach(function (d) {
      t0 = Math.min(t0, d.start);
      t1 = Math.max(t1, d.start + d.width_ms * d.bytes.length);
    });
    if (t1 <= t0) t1 = t0 + 1000;
    var f = function (ms) { return CL + (ms - t0) / (t1 - t0) * (CW - CL - CR); };
    f.t0 = t0; f.t1 = t1;
    return f;
  }
  function axis(svg, x, y, height) {
    for (var i = 0; i <= 5; i++) {
      var ms = x.t0 + (x.t1 - x.t0) * i / 5, xx = x(ms);
      svg.appendChild(s("line", { x1: xx, y1: y, x2: xx, y2: y + height, "class": "tick" }));
      svg.appendChild(s("text", { x: xx, y: y - 4, "text-anchor": "middle", "class": "time", text: (ms < 0 ? "" : "+") + secs(ms) }));
    }
  }

  // ---- SA timeline ----------------------------------------------------------------------
  function timeline(t, x) {
    var T = t.timeline, row = 24, top = 30;
    var rows = T.ike.length + T.child.length;
    var H = top + rows * row + 30;
    var svg = s("svg", { width: CW, height: H, viewBox: "0 0 " + CW + " " + H, role: "img",
      "aria-label": "SA timeline of tunnel " + t.id + ": " + T.ike.length + " IKE SAs, " + T.child.length + " CHILD SAs, " + T.outages.length + " liveness outages" });
    axis(svg, x, top - 12, H - top);
    T.outages.forEach(function (o, i) {
      var x1 = x(o[0]), x2 = Math.max(x(o[1]), x1 + 3);
      svg.appendChild(s("g", { "class": "outage" },
        s("rect", { x: x1, y: top - 8, width: x2 - x1, height: H - top - 10 }),
        s("text", { x: x1 + 2, y: H - (i % 2 ? 4 : 16), text: "\u26a0 outage " + secs(o[1] - o[0]) }),
        s("title", { text: "Liveness checks unanswered from " + iso(o[0]) + " to " + iso(o[1]) + (o[3] ? ", frame " + o[3] : "") })));
    });
    T.deletes.forEach(function (dl) {
      var xx = x(dl[0]);
      svg.appendChild(s("g", { "class": "delete" },
        s("line", { x1: xx, y1: top - 8, x2: xx, y2: H - 20 }),
        s("text", { x: xx + 3, y: top + 2, text: "\u2715 delete" }),
        s("title", { text: "Delete from " + dl[1] + " at " + iso(dl[0]) + (dl[2] ? ", frame " + dl[2] : "") })));
    });
    var y = top;
    T.ike.forEach(function (a, i) {
      var g = s("g", { "class": "sa ike " + (a.up ? "up" : "down") },
        s("text", { x: 4, y: y + 14, text: "IKE SA #" + (i + 1) + " " + a.spi.slice(0, 8) + "\u2026 " + a.state + (a.rekey_of !== null ? " (rekey of #" + (a.rekey_of + 1) + ")" : "") }));
      var est = a.established;
      if (est !== null) {
        if (est > a.first) g.appendChild(s("rect", { "class": "neg", x: x(a.first), y: y + 4, width: Math.max(x(est) - x(a.first), 2), height: 12 }));
        g.appendChild(s("rect", { "class": "bar", x: x(est), y: y + 4, width: Math.max(x(a.last) - x(est), 3), height: 12 }));
      } else {
        g.appendChild(s("rect", { "class": a.up ? "bar" : "neg", x: x(a.first), y: y + 4, width: Math.max(x(a.last) - x(a.first), 3), height: 12 }));
      }
      g.appendChild(s("title", { text: "IKE SA " + a.spi + " (IKEv" + a.version + "): " + a.state + "; first " + iso(a.first) +
        (est !== null ? ", established " + iso(est) : "") + ", last message " + iso(a.last) }));
      svg.appendChild(g);
      y += row;
    });
    T.child.forEach(function (c, i) {
      var next = i + 1 < T.child.length ? T.child[i + 1].time : null;
      var end = c.last_esp !== null ? c.last_esp : (next !== null ? next : t.last);
      var g = s("g", { "class": "sa child" + (c.last_esp === null ? " noesp" : "") },
        s("text", { x: 4, y: y + 14, text: "CHILD SA " + (c.spis.length ? c.spis.join("/") : "(SPIs hidden)") }),
        s("rect", { "class": "bar", x: x(c.time), y: y + 4, width: Math.max(x(end) - x(c.time), 3), height: 12 }),
        s("title", { text: c.kind + " at " + iso(c.time) + " (frame " + c.frame + ")" + (c.last_esp !== null ? "; last ESP " + iso(c.last_esp) : "; no ESP attributed") }));
      svg.appendChild(g);
      y += row;
    });
    return svg;
  }
  function cadence(T) {
    var parts = [];
    if (T.ike_cadence_s !== null) parts.push("IKE SAs established every " + T.ike_cadence_s.toFixed(0) + " s (median)");
    if (T.child_cadence_s !== null) parts.push("CHILD SAs created every " + T.child_cadence_s.toFixed(0) + " s (median)");
    parts.push(T.lifetimes.length ? "lifetimes in the proposals: " + T.lifetimes.join(", ")
      : "no lifetime in the proposals (IKEv2 lifetimes are each end's own setting)");
    return "Rekey cadence: " + parts.join("; ") + ". Solid bars: established; hatched: negotiating or failed; shaded columns: liveness outages.";
  }

  // ---- ESP throughput -------------------------------------------------------------------
  function rate(bps) {
    return bps >= 1e9 ? (bps / 1e9).toFixed(2) + " Gbit/s" : bps >= 1e6 ? (bps / 1e6).toFixed(1) + " Mbit/s" : (bps / 1e3).toFixed(1) + " kbit/s";
  }
  function throughput(dir, x) {
    var H = 170, top = 24, bottom = H - 26, w = dir.width_ms / 1000;
    var bps = dir.bytes.map(function (b) { return b * 8 / w; });
    var pps = dir.packets.map(function (p) { return p / w; });
    var ceiling = D.bandwidth_bps || 0;
    var maxB = Math.max.apply(null, bps.concat([ceiling, 1])) * 1.1;
    var maxP = Math.max.apply(null, pps.concat([1])) * 1.1;
    var yb = function (v) { return bottom - v / maxB * (bottom - top); };
    var yp = function (v) { return bottom - v / maxP * (bottom - top); };
    var svg = s("svg", { width: CW, height: H, viewBox: "0 0 " + CW + " " + H, role: "img",
      "aria-label": "ESP throughput " + dir.from + " to " + dir.to + ", " + dir.bytes.length + " intervals of " + secs(dir.width_ms) });
    svg.appendChild(s("text", { x: 4, y: 14, "class": "peer", text: "ESP " + dir.from + " \u2192 " + dir.to }));
    svg.appendChild(s("text", { x: 4, y: 30, "class": "time", text: "interval " + secs(dir.width_ms) }));
    svg.appendChild(s("text", { x: 4, y: 46, "class": "time", text: "\u2014 bit/s, left scale (peak " + rate(Math.max.apply(null, bps)) + ")" }));
    svg.appendChild(s("text", { x: 4, y: 62, "class": "time", text: "- - packets/s, right scale" }));
    svg.appendChild(s("line", { x1: CL, y1: bottom, x2: CW - CR, y2: bottom, "class": "tick" }));
    svg.appendChild(s("text", { x: CL - 4, y: top + 4, "text-anchor": "end", "class": "time", text: rate(maxB) }));
    svg.appendChild(s("text", { x: CW - CR + 4, y: top + 4, "class": "time", text: (maxP).toFixed(0) + " pkt/s" }));
    axis(svg, x, bottom + 16, 0);
    if (ceiling) {
      svg.appendChild(s("g", { "class": "ceiling" },
        s("line", { x1: CL, y1: yb(ceiling), x2: CW - CR, y2: yb(ceiling) }),
        s("text", { x: CW - CR - 4, y: yb(ceiling) - 3, "text-anchor": "end", text: "ceiling " + rate(ceiling) + " (--bandwidth)" })));
      svg.appendChild(s("g", { "class": "ceiling80" },
        s("line", { x1: CL, y1: yb(ceiling * 0.8), x2: CW - CR, y2: yb(ceiling * 0.8) }),
        s("text", { x: CW - CR - 4, y: yb(ceiling * 0.8) + 11, "text-anchor": "end", text: "80 % of the ceiling" })));
    }
    dir.spis.forEach(function (sp, i) {
      if (i === 0) return;
      var xx = x(sp[0]);
      svg.appendChild(s("g", { "class": "spichange" },
        s("line", { x1: xx, y1: top, x2: xx, y2: bottom }),
        s("text", { x: xx + 3, y: top + 10, text: "SPI " + sp[1] })));
    });
    var mid = function (i) { return x(dir.start + (i + 0.5) * dir.width_ms); };
    svg.appendChild(s("polyline", { "class": "pps", points: pps.map(function (v, i) { return mid(i) + "," + yp(v); }).join(" ") }));
    svg.appendChild(s("polyline", { "class": "bps", points: bps.map(function (v, i) { return mid(i) + "," + yb(v); }).join(" ") }));
    bps.forEach(function (v, i) {
      svg.appendChild(s("circle", { "class": "pt" + (ceiling && v >= 0.8 * ceiling ? " hot" : ""), cx: mid(i), cy: yb(v), r: 2.5 },
        s("title", { text: iso(dir.start + i * dir.width_ms) + ": " + rate(v) + ", " + pps[i].toFixed(1) + " packets/s (" + dir.bytes[i] + " bytes)" })));
    });
    return svg;
  }

  // ---- ladder ---------------------------------------------------------------------------
  var GAP_MS = 10000;
  function ladder(t, detail) {
    var L = t.ladder, W = 980, xl = 200, xr = 840, top = 46, step = 30;
    var items = [], y = top, prev = null;
    L.rows.forEach(function (r) {
      if (prev !== null && r[0] - prev > GAP_MS) { items.push({ gap: r[0] - prev, y: y + 12 }); y += 20; }
      y += step;
      items.push({ row: r, y: y });
      prev = r[0];
    });
    L.marks.forEach(function (m) { y += step; items.push({ mark: m, y: y }); });
    var H = y + 30;
    var svg = s("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": "Ladder diagram of tunnel " + t.id + ": " + L.rows.length + " arrows" });
    svg.appendChild(s("text", { x: xl, y: 16, "text-anchor": "middle", "class": "peer", text: L.left }));
    svg.appendChild(s("text", { x: xr, y: 16, "text-anchor": "middle", "class": "peer", text: L.right }));
    svg.appendChild(s("text", { x: xl, y: 32, "text-anchor": "middle", "class": "muted time", text: t.versions.length ? "initiator" : "" }));
    svg.appendChild(s("text", { x: xr, y: 32, "text-anchor": "middle", "class": "muted time", text: t.versions.length ? "responder" : "" }));
    svg.appendChild(s("line", { x1: xl, y1: 38, x2: xl, y2: H - 10, "class": "lifeline" }));
    svg.appendChild(s("line", { x1: xr, y1: 38, x2: xr, y2: H - 10, "class": "lifeline" }));
    var selected = null;
    items.forEach(function (it) {
      if (it.gap) {
        svg.appendChild(s("text", { x: (xl + xr) / 2, y: it.y + 6, "text-anchor": "middle", "class": "gap", text: "\u22ef " + secs(it.gap) + " later \u22ef" }));
        return;
      }
      if (it.mark) {
        var m = it.mark;
        var g = s("g", { "class": "mark evidence", id: evId(t.index, m[1], m[2]), "data-frame": m[1] + ":" + m[2] },
          s("rect", { "class": "bg", x: 4, y: it.y - 16, width: W - 8, height: step - 4 }),
          s("circle", { cx: (xl + xr) / 2, cy: it.y - 4, r: 5 }),
          s("text", { x: 8, y: it.y, "class": "time", text: m[0] === null ? "" : "+" + secs(m[0]) }),
          s("text", { x: (xl + xr) / 2 + 12, y: it.y, text: "\u2605 evidence " + frameLabel(m[1], m[2]) + " (not an IKE message of this tunnel)" }),
          s("title", { text: S[m[3]] }));
        svg.appendChild(g);
        return;
      }
      var r = it.row, f = r[7], ltr = r[1] === 0;
      var x1 = ltr ? xl : xr, x2 = ltr ? xr : xl, yy = it.y;
      var cls = ["arrow"];
      if (f & F.RETRANSMIT) cls.push("retransmit");
      if (f & F.RESPONSE) cls.push("response");
      if (f & F.UNANSWERED) cls.push("unanswered");
      if (f & F.REFUSAL) cls.push("refusal");
      if (f & F.FOLDED) cls.push("folded");
      if (f & F.EVIDENCE) cls.push("evidence");
      var tip = x2 + (ltr ? -1 : 1);
      var tags = [];
      if (f & F.RETRANSMIT) tags.push("retransmit");
      if (f & F.EVIDENCE) tags.push("\u2605 evidence");
      var g2 = s("g", { "class": cls.join(" "), "data-frame": r[2] + ":" + r[3], "data-messages": r[8], tabindex: "0",
          id: (f & F.EVIDENCE) ? evId(t.index, r[2], r[3]) : null },
        s("rect", { "class": "bg", x: 4, y: yy - 22, width: W - 8, height: step - 2 }),
        s("text", { x: 8, y: yy + 4, "class": "time", text: "+" + secs(r[0]) }),
        s("line", { x1: x1, y1: yy, x2: tip + (ltr ? -8 : 8), y2: yy }),
        s("polygon", { points: ltr ? (tip - 10) + "," + (yy - 5) + " " + tip + "," + yy + " " + (tip - 10) + "," + (yy + 5)
          : (tip + 10) + "," + (yy - 5) + " " + tip + "," + yy + " " + (tip + 10) + "," + (yy + 5) }),
        s("text", { x: (xl + xr) / 2, y: yy - 6, "text-anchor": "middle", "class": "lbl",
          text: S[r[4]] + (S[r[5]] ? "  [" + clip(S[r[5]], 44) + "]" : "") + (tags.length ? "  (" + tags.join(", ") + ")" : "") }),
        s("text", { x: ltr ? xl - 6 : xr + 6, y: yy + 4, "text-anchor": ltr ? "end" : "start", "class": "frame",
          text: (f & F.FOLDED ? "frames " : "#") + r[3] }),
        (f & F.UNANSWERED) ? s("text", { x: ltr ? xr + 8 : xl - 8, y: yy + 4, "text-anchor": ltr ? "start" : "end", "class": "noans", text: "\u2715 no answer" }) : null,
        s("title", { text: frameLabel(r[2], r[3]) + ": " + S[r[6]] }));
      g2.addEventListener("click", function () {
        if (selected) selected.classList.remove("selected");
        selected = g2;
        g2.classList.add("selected");
        detail.textContent = frameLabel(r[2], r[3]) + " at " + iso(r[0]) + "\n" + S[r[6]];
      });
      svg.appendChild(g2);
    });
    if (L.liveness_folded) {
      svg.appendChild(s("text", { x: (xl + xr) / 2, y: H - 12, "text-anchor": "middle", "class": "gap",
        text: "+ " + L.liveness_folded + " more answered liveness checks counted while capturing (not listed)" }));
    }
    return svg;
  }

  // ---- redundant pairs -----------------------------------------------------------------
  function pairsSection() {
    if (!D.pairs.length) return null;
    return h("section", { id: "pairs" }, h("h2", { text: "Redundant pairs" }),
      h("p", { "class": "legend" }, "Two tunnels protecting the same traffic, on one time axis: which one carried ESP when " +
        "(bars: bytes per interval, both directions), every failover (\u21c4, dashed line) and the event just before it on the tunnel that lost the traffic (\u26a0, dotted line)."),
      D.pairs.map(function (p, i) { return h("div", { "class": "view pair", id: "pair-" + i }, pairView(p)); }));
  }
  function pairView(p) {
    var t0 = Infinity, t1 = -Infinity;
    p.lanes.forEach(function (l) {
      if (l.start === null) return;
      t0 = Math.min(t0, l.start);
      t1 = Math.max(t1, l.start + l.width_ms * l.bytes.length);
    });
    p.failovers.forEach(function (f) {
      t0 = Math.min(t0, f.time, f.cause ? f.cause.time : f.time);
      t1 = Math.max(t1, f.time);
    });
    if (!isFinite(t0)) { t0 = 0; t1 = 1000; }
    if (t1 <= t0) t1 = t0 + 1000;
    var x = function (ms) { return CL + (ms - t0) / (t1 - t0) * (CW - CL - CR); };
    x.t0 = t0; x.t1 = t1;
    var lane = 46, top = 40, H = top + p.lanes.length * lane + 50;
    var svg = s("svg", { width: CW, height: H, viewBox: "0 0 " + CW + " " + H, role: "img",
      "aria-label": "Redundant pair " + p.lanes.map(function (l) { return l.id; }).join(" and ") + ": " + p.failovers.length + " failovers" });
    svg.appendChild(s("text", { x: 4, y: 14, "class": "peer", text: "selectors " + p.selectors.join(", ") }));
    axis(svg, x, top - 6, H - top - 30);
    var max = 1;
    p.lanes.forEach(function (l) { l.bytes.forEach(function (b) { max = Math.max(max, b); }); });
    p.lanes.forEach(function (l, i) {
      var y = top + i * lane, g = s("g", { "class": "lane", "data-tunnel": l.id },
        s("text", { x: 4, y: y + 26, text: (i ? "B " : "A ") + l.id }));
      l.bytes.forEach(function (b, k) {
        if (!b) return;
        var hh = Math.max(2, b / max * (lane - 12));
        g.appendChild(s("rect", { "class": "carry", x: x(l.start + k * l.width_ms), y: y + lane - 6 - hh,
          width: Math.max(1, x(l.start + (k + 1) * l.width_ms) - x(l.start + k * l.width_ms) - 1), height: hh },
          s("title", { text: l.id + ": " + b + " bytes from " + iso(l.start + k * l.width_ms) })));
      });
      svg.appendChild(g);
    });
    var bottom = top + p.lanes.length * lane;
    p.failovers.forEach(function (f, i) {
      var xx = x(f.time);
      svg.appendChild(s("g", { "class": "failover-mark" },
        s("line", { "class": "failover", x1: xx, y1: top - 4, x2: xx, y2: bottom + 4 }),
        s("text", { x: xx + 3, y: bottom + 18 + (i % 2) * 12, text: "\u21c4 failover to " + f.to + " (" + frameLabel(f.file, f.frame) + ")" }),
        s("title", { text: "ESP moved from " + f.from + " to " + f.to + " at " + iso(f.time) })));
      if (f.cause) {
        var xc = x(f.cause.time);
        svg.appendChild(s("g", { "class": "cause" },
          s("line", { x1: xc, y1: top - 4, x2: xc, y2: bottom + 4 }),
          s("text", { x: xc - 3, y: top + 8, "text-anchor": "end", text: "\u26a0 " + f.cause.text + " (" + frameLabel(f.cause.file, f.cause.frame) + ")" }),
          s("title", { text: "On " + f.from + " at " + iso(f.cause.time) + ": " + f.cause.text })));
      }
    });
    return svg;
  }

  // ---- finding cards --------------------------------------------------------------------
  // Cards grouped by severity and kind; a group is drawn when opened (the groups open at load
  // while the report has few findings).
  var CARDS_OPEN = 40;
  function cards() {
    var groups = {}, keys = [];
    D.findings.forEach(function (f) {
      var k = f.severity + " " + f.kind;
      if (!groups[k]) { groups[k] = []; keys.push(k); }
      groups[k].push(f);
    });
    keys.sort(function (a, b) {
      return SEV_ORDER[a.split(" ")[0]] - SEV_ORDER[b.split(" ")[0]] || (a < b ? -1 : 1);
    });
    var few = D.findings.length <= CARDS_OPEN;
    return h("section", { id: "findings" }, h("h2", { text: "Findings" }),
      keys.length ? keys.map(function (k) {
        var p = k.split(" "), list = groups[k];
        var d = h("details", { "class": "kind", "data-kind": p[1] },
          h("summary", null, badge("sev-" + p[0], p[0].toUpperCase()), " " + p[1] + " \u00d7" + list.length));
        var body = null;
        d.addEventListener("toggle", function () {
          if (!d.open || body) return;
          body = h("div", { "class": "cards" }, list.map(function (f) { return card(f, true); }));
          d.appendChild(body);
        });
        if (few) d.open = true;
        return d;
      }) : h("p", { text: "No findings." }));
  }
  function card(f, global) {
    var ti = tunnelIndex[f.tunnel];
    return h("article", { "class": "card sev-" + f.severity, id: global ? "f-" + f.index : null, "data-kind": f.kind },
      h("h3", null, badge("sev-" + f.severity, f.severity.toUpperCase()), " ", f.kind,
        f.phase ? " \u00b7 " + f.phase : "", " \u00b7 ", h("span", { "class": "muted", text: f.confidence })),
      h("p", { "class": "mono muted" }, "tunnel ", ti === undefined ? f.tunnel : h("a", { href: "#t-" + ti, onclick: function (e) { e.preventDefault(); openTunnel(ti, true); }, text: f.tunnel }),
        f.initiator ? " \u00b7 initiator " + f.initiator + " \u2192 responder " + f.responder : ""),
      h("p", { text: f.summary }),
      f.evidence.length ? h("ul", null, f.evidence.map(function (e) {
        // A finding about a group of one-message initiators or a responder as a whole has no
        // ladder of its own: its frames are named, not linked.
        if (ti === undefined) return h("li", null, frameLabel(e[0], e[1]), ": " + e[2]);
        return h("li", null, h("a", { href: "#" + evId(ti, e[0], e[1]), "class": "evlink",
          onclick: function (ev) { ev.preventDefault(); showEvidence(ti, e[0], e[1]); } }, frameLabel(e[0], e[1])), ": " + e[2]);
      }), f.evidence_total > f.evidence.length ? h("li", { text: "\u2026 " + (f.evidence_total - f.evidence.length) + " more" }) : null) : null,
      f.fix ? h("p", null, h("strong", { text: "Fix: " }), f.fix) : null);
  }
  function showEvidence(ti, file, frame) {
    if (ti === undefined) return;
    openTunnel(ti, false);
    var e = document.getElementById(evId(ti, file, frame));
    if (!e) return;
    e.scrollIntoView({ block: "center" });
    e.classList.add("flash");
    setTimeout(function () { e.classList.remove("flash"); }, 1500);
  }

  // ---- page -----------------------------------------------------------------------------
  var main = document.getElementById("report");
  main.appendChild(header());
  main.appendChild(table());
  main.appendChild(cards());
  var pairs = pairsSection();
  if (pairs) main.appendChild(pairs);
  main.appendChild(tunnelSections());
  refresh();
  document.querySelectorAll("details.tunnel[open]").forEach(function (d) {
    draw(tunnelIndex[d.getAttribute("data-tunnel")]);
  });
  // The test and the reader can open every tunnel (e.g. before printing).
  window.ikescope = { data: D, open: function (ti) { return openTunnel(ti, false); } };
  window.addEventListener("beforeprint", function () {
    D.tunnels.forEach(function (t) { if (t.failing) openTunnel(t.index, false); });
    document.querySelectorAll("details.kind").forEach(function (k) { k.open = true; });
  });
})();
