/* lineage-scan docs site: search, and lineage figures (pan, zoom, keyboard, selection, depth, paths).
 * Hand-written, no dependencies. Data comes from <script src> files that assign into
 * window.lineageScanData (fetch() of local files fails under file://). Text from the repository
 * only ever reaches the page through textContent or attributes set by the generator. */
(function () {
  "use strict";

  const data = (window.lineageScanData = window.lineageScanData || {});
  const root = document.body.getAttribute("data-root") || "";
  const pending = {};

  /** Load a data file once; resolves to its value (undefined when the file is missing). */
  function load(key, src) {
    if (Object.prototype.hasOwnProperty.call(data, key)) return Promise.resolve(data[key]);
    if (!pending[key]) {
      pending[key] = new Promise(function (resolve) {
        const script = document.createElement("script");
        script.src = root + src;
        script.onload = function () { resolve(data[key]); };
        script.onerror = function () { delete pending[key]; resolve(undefined); };
        document.head.appendChild(script);
      });
    }
    return pending[key];
  }

  /* ------------------------------------------------------------------ search */
  const WORD_SEPARATORS = /[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+/; // same as search.py
  const TYPES = { r: "relation", c: "column", t: "task", m: "ML model", d: "DAG", o: "owner" };
  const TYPE_ORDER = "rcmdto";

  function words(text) {
    return text.toLowerCase().split(WORD_SEPARATORS).filter(Boolean);
  }

  /** The shards to load for a query word: the longest key that is a prefix of it, else every key under it. */
  function shardsFor(word, keys) {
    const chars = Array.from(word).map(function (c) { return /^[a-z0-9]$/.test(c) ? c : "_"; });
    for (let length = Math.min(chars.length, 6); length >= 2; length--) {
      const key = chars.slice(0, length).join("");
      if (keys.has(key)) return [key];
    }
    const prefix = chars.join("");
    return Array.from(keys).filter(function (key) { return key.startsWith(prefix); });
  }

  function search(query, limit) {
    const wanted = words(query);
    if (!wanted.length) return Promise.resolve({ results: [], hint: "" });
    const searchable = wanted.filter(function (w) { return Array.from(w).length >= 2; });
    if (!searchable.length) return Promise.resolve({ results: [], hint: "Type at least two characters." });
    return load("search/keys", "data/search/keys.js").then(function (keys) {
      const known = new Set(keys || []);
      const keysToLoad = new Set();
      searchable.forEach(function (w) { shardsFor(w, known).forEach(function (key) { keysToLoad.add(key); }); });
      return Promise.all(Array.from(keysToLoad).map(function (key) { return load("search/" + key, "data/search/" + key + ".js"); }));
    }).then(function (shards) {
      const q = query.trim().toLowerCase();
      const found = [];
      const seen = new Set();
      shards.forEach(function (shard) { (shard || []).forEach(function (entry) {
        const id = entry[0] + " " + entry[2];
        if (seen.has(id)) return;
        seen.add(id);
        const parts = words(entry[1]);
        if (!wanted.every(function (w) { return parts.some(function (p) { return p.startsWith(w); }); })) return;
        const label = entry[1].toLowerCase();
        const last = label.slice(label.lastIndexOf(".") + 1);
        const score = label === q ? 0 : last === q ? 1 : label.endsWith(q) ? 2 : last.startsWith(wanted[0]) ? 3 : 4;
        found.push({ entry: entry, rank: [score, TYPE_ORDER.indexOf(entry[0]), entry[1].length, entry[1]] });
      }); });
      found.sort(function (a, b) {
        for (let i = 0; i < a.rank.length; i++) {
          if (a.rank[i] < b.rank[i]) return -1;
          if (a.rank[i] > b.rank[i]) return 1;
        }
        return 0;
      });
      return {
        results: found.slice(0, limit).map(function (f) { return f.entry; }),
        total: found.length,
        hint: found.length ? "" : "Nothing found.",
      };
    });
  }

  function resultLink(entry) {
    const a = document.createElement("a");
    a.setAttribute("href", root + entry[2]);
    const type = document.createElement("span");
    type.className = "rtype";
    type.textContent = TYPES[entry[0]] || entry[0];
    const label = document.createElement("span");
    label.className = "rlabel";
    label.textContent = entry[1];
    const detail = document.createElement("span");
    detail.className = "rdetail";
    detail.textContent = entry[3] || "";
    a.append(type, label, detail);
    return a;
  }

  function setupHeaderSearch() {
    const input = document.getElementById("q");
    const list = document.getElementById("q-results");
    if (!input || !list) return;
    let active = -1;
    let sequence = 0;
    let timer = 0;

    function options() { return Array.from(list.querySelectorAll("li[role=option]")); }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mark(index) {
      const all = options();
      active = all.length ? (index + all.length) % all.length : -1;
      all.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", all[active].id);
        all[active].scrollIntoView({ block: "nearest" });
      }
    }
    function show(outcome) {
      list.replaceChildren();
      outcome.results.forEach(function (entry, i) {
        const li = document.createElement("li");
        li.id = "q-opt-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(resultLink(entry));
        list.appendChild(li);
      });
      if (outcome.hint || outcome.total > outcome.results.length) {
        const li = document.createElement("li");
        li.className = "hint";
        li.textContent = outcome.hint || ("Showing " + outcome.results.length + " of " + outcome.total + "; press Enter for all.");
        list.appendChild(li);
      }
      list.hidden = !list.children.length;
      input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
      active = -1;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      const mine = ++sequence;
      timer = setTimeout(function () {
        search(input.value, 12).then(function (outcome) { if (mine === sequence) show(outcome); });
      }, 60);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { mark(active + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { mark(active - 1); event.preventDefault(); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        const link = options()[active].querySelector("a");
        close();
        window.location.href = link.href;
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
  }

  function setupSearchPage() {
    const results = document.getElementById("search-results");
    const input = document.getElementById("sq");
    const status = document.getElementById("search-status");
    if (!results || !input) return;
    const query = new URLSearchParams(window.location.search).get("q") || "";
    input.value = query;
    if (!query) { input.focus(); return; }
    search(query, 200).then(function (outcome) {
      outcome.results.forEach(function (entry) {
        const li = document.createElement("li");
        li.appendChild(resultLink(entry));
        results.appendChild(li);
      });
      status.textContent = outcome.hint || (outcome.total + " result" + (outcome.total === 1 ? "" : "s") +
        (outcome.total > outcome.results.length ? ", showing the first " + outcome.results.length : "") + ".");
    });
  }

  /* ------------------------------------------------------------------ lineage figures */
  const MIN_READABLE = 0.6;
  const MIN_SCALE = 0.08;
  const MAX_SCALE = 4;

  function translateOf(el) {
    const match = /translate\(([-\d.e]+)[ ,]+([-\d.e]+)\)/.exec(el.getAttribute("transform") || "");
    return match ? [parseFloat(match[1]), parseFloat(match[2])] : [0, 0];
  }

  function Figure(el) {
    this.el = el;
    this.viewport = el.querySelector(".viewport");
    this.status = el.querySelector(".status");
    this.clearButton = el.querySelector("[data-clear]");
    this.viewport.classList.add("js");
    this.original = this.viewport.querySelector("svg");
    this.selected = null;
    this.cursor = null;
    this.attach(this.original);
    this.bind();
  }

  Figure.prototype.attach = function (svg) {
    const current = this.viewport.querySelector("svg");
    if (current !== svg) this.viewport.replaceChild(svg, current);
    this.svg = svg;
    const box = (svg.getAttribute("viewBox") || "0 0 100 100").split(/\s+/).map(parseFloat);
    this.width = box[2];
    this.height = box[3];
    this.items = {};
    this.order = [];
    const self = this;
    svg.querySelectorAll("g.n").forEach(function (node) {
      const at = translateOf(node);
      const rect = node.querySelector("rect.box");
      const link = node.querySelector("a");
      const name = node.querySelector("text.name");
      const item = {
        id: node.getAttribute("data-id"), el: node, box: true,
        x: at[0], y: at[1], w: parseFloat(rect.getAttribute("width")), h: parseFloat(rect.getAttribute("height")),
        label: node.getAttribute("data-label") || (name ? name.textContent : ""),
        href: link ? link.getAttribute("href") : null, rows: [],
      };
      self.items[item.id] = item;
      self.order.push(item);
      node.querySelectorAll("text.row").forEach(function (row, index) {
        const anchor = row.getAttribute("data-anchor");
        const child = {
          id: item.id + "." + index, el: row, box: false, parent: item,
          x: at[0], y: at[1] + parseFloat(row.getAttribute("y")) - 14, w: item.w, h: 20,
          label: item.label + "." + (row.getAttribute("data-label") || row.textContent),
          href: anchor && item.href ? item.href.split("#")[0] + "#" + anchor : null,
          anchor: anchor,
        };
        item.rows.push(child);
        self.items[child.id] = child;
        self.order.push(child);
      });
    });
    this.up = {};
    this.down = {};
    svg.querySelectorAll("path.e").forEach(function (path) {
      const s = path.getAttribute("data-s");
      const t = path.getAttribute("data-t");
      (self.down[s] = self.down[s] || []).push({ other: t, el: path });
      (self.up[t] = self.up[t] || []).push({ other: s, el: path });
    });
    this.focusItem = this.items[svg.getAttribute("data-focus")] || this.order[0] || null;
    this.cursor = null;
    this.mark = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    this.mark.setAttribute("class", "cursor-mark");
    this.mark.setAttribute("rx", "3");
    svg.querySelector("g.nodes").appendChild(this.mark);
    this.mark.style.display = "none";
    this.initialView();
  };

  Figure.prototype.initialView = function () {
    const width = this.viewport.clientWidth || 800;
    const maxHeight = Math.max(220, window.innerHeight * 0.72);
    const fit = Math.min(width / this.width, maxHeight / this.height);
    const scale = fit >= MIN_READABLE ? Math.min(fit, 1.15) : 0.9;
    const height = Math.max(160, Math.min(maxHeight, this.height * scale + 4));
    this.viewport.style.height = height + "px";
    this.scale = scale;
    if (fit >= MIN_READABLE || !this.focusItem) {
      this.x = (this.width - width / scale) / 2;
      this.y = (this.height - height / scale) / 2;
    } else {
      const f = this.focusItem;
      this.x = f.x + f.w / 2 - width / scale / 2;
      this.y = Math.max(0, f.y - 20);
    }
    this.apply();
  };

  Figure.prototype.apply = function () {
    const width = this.viewport.clientWidth || 800;
    const height = this.viewport.clientHeight || 400;
    this.svg.setAttribute("viewBox", [this.x, this.y, width / this.scale, height / this.scale].map(function (v) { return v.toFixed(1); }).join(" "));
  };

  Figure.prototype.zoom = function (factor, clientX, clientY) {
    const rect = this.viewport.getBoundingClientRect();
    const px = clientX === undefined ? rect.width / 2 : clientX - rect.left;
    const py = clientY === undefined ? rect.height / 2 : clientY - rect.top;
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    this.x += px / this.scale - px / next;
    this.y += py / this.scale - py / next;
    this.scale = next;
    this.apply();
  };

  Figure.prototype.fit = function () {
    const width = this.viewport.clientWidth || 800;
    const height = this.viewport.clientHeight || 400;
    this.scale = Math.min(width / this.width, height / this.height, 1.15);
    this.x = (this.width - width / this.scale) / 2;
    this.y = (this.height - height / this.scale) / 2;
    this.apply();
  };

  Figure.prototype.reveal = function (item) {
    const width = (this.viewport.clientWidth || 800) / this.scale;
    const height = (this.viewport.clientHeight || 400) / this.scale;
    if (item.x < this.x || item.x + Math.min(item.w, width) > this.x + width) this.x = item.x + item.w / 2 - width / 2;
    if (item.y < this.y || item.y + item.h > this.y + height) this.y = item.y + item.h / 2 - height / 2;
    this.apply();
  };

  Figure.prototype.bind = function () {
    const self = this;
    const viewport = this.viewport;
    let drag = null;
    let dragged = false;
    viewport.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, ox: self.x, oy: self.y };
      dragged = false;
    });
    viewport.addEventListener("pointermove", function (event) {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) > 4) {
        dragged = true;
        viewport.classList.add("dragging");
        viewport.setPointerCapture(event.pointerId);
      }
      if (dragged) {
        self.x = drag.ox - dx / self.scale;
        self.y = drag.oy - dy / self.scale;
        self.apply();
      }
    });
    function endDrag() { drag = null; viewport.classList.remove("dragging"); }
    viewport.addEventListener("pointerup", endDrag);
    viewport.addEventListener("pointercancel", endDrag);
    viewport.addEventListener("click", function (event) {
      if (dragged) { event.preventDefault(); event.stopPropagation(); dragged = false; return; }
      if (event.target.closest("a")) return;
      const row = event.target.closest("text.row");
      const node = event.target.closest("g.n");
      const item = row ? self.order.find(function (i) { return i.el === row; }) : node ? self.items[node.getAttribute("data-id")] : null;
      if (item) { self.moveCursor(item, false); self.select(item); }
    }, true);
    viewport.addEventListener("pointerover", function (event) {
      const path = event.target.closest && event.target.closest("path.e");
      if (!path || path.querySelector("title")) return;
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = self.describe(path);
      path.appendChild(title);
    });
    viewport.addEventListener("wheel", function (event) {
      if (!(event.ctrlKey || event.metaKey || document.activeElement === viewport)) return;
      event.preventDefault();
      self.zoom(Math.exp(-event.deltaY * 0.0015), event.clientX, event.clientY);
    }, { passive: false });
    viewport.addEventListener("focus", function () {
      if (!self.cursor && self.focusItem) self.moveCursor(self.focusItem, true);
    });
    viewport.addEventListener("keydown", function (event) { self.key(event); });
    this.el.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        const how = button.getAttribute("data-zoom");
        if (how === "fit") self.fit(); else self.zoom(how === "in" ? 1.25 : 0.8);
      });
    });
    if (this.clearButton) this.clearButton.addEventListener("click", function () { self.clear(); });
    this.el.querySelectorAll("[data-depth]").forEach(function (button) {
      button.addEventListener("click", function () { self.depth(button); });
    });
    this.el.querySelectorAll("[data-toggle]").forEach(function (button) {
      button.addEventListener("click", function () {
        const shown = button.getAttribute("aria-pressed") !== "true";
        button.setAttribute("aria-pressed", shown ? "true" : "false");
        self.el.classList.toggle("hide-" + button.getAttribute("data-toggle"), !shown);
      });
    });
    this.el.querySelectorAll("[data-highlight]").forEach(function (button) {
      button.addEventListener("click", function () { self.highlight(button); });
    });
  };

  Figure.prototype.key = function (event) {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      const next = this.nearest(this.cursor || this.focusItem, moves[event.key]);
      if (next) this.moveCursor(next, true);
    } else if (event.key === " " || event.key === "Spacebar") {
      event.preventDefault();
      if (this.cursor) this.select(this.cursor);
    } else if (event.key === "Enter") {
      if (this.cursor && this.cursor.href) window.location.href = new URL(this.cursor.href, window.location.href).href;
    } else if (event.key === "+" || event.key === "=") {
      this.zoom(1.25);
    } else if (event.key === "-" || event.key === "_") {
      this.zoom(0.8);
    } else if (event.key === "0") {
      this.fit();
    } else if (event.key === "Escape") {
      this.clear();
    }
  };

  /** The item nearest to `from` in direction [dx, dy] (rows and boxes alike). */
  Figure.prototype.nearest = function (from, direction) {
    if (!from) return this.order[0] || null;
    const cx = from.x + from.w / 2;
    const cy = from.y + from.h / 2;
    let best = null;
    let bestScore = Infinity;
    const home = from.parent || from;
    this.order.forEach(function (item) {
      if (item === from || (direction[0] && (item.parent || item) === home)) return;
      const ix = item.x + item.w / 2;
      const iy = item.y + item.h / 2;
      const along = direction[0] ? (ix - cx) * direction[0] : (iy - cy) * direction[1];
      const across = direction[0] ? Math.abs(iy - cy) : Math.abs(ix - cx);
      if (along <= 1) return;
      const score = along + across * 3;
      if (score < bestScore) { bestScore = score; best = item; }
    });
    return best;
  };

  /** "a.x → b.y: join (inferred)" for an edge of the drawing. */
  Figure.prototype.describe = function (path) {
    const source = this.items[path.getAttribute("data-s")];
    const target = this.items[path.getAttribute("data-t")];
    return (source ? source.label : "?") + " → " + (target ? target.label : "?") + ": " + (path.getAttribute("data-k") || "");
  };

  Figure.prototype.moveCursor = function (item, reveal) {
    this.cursor = item;
    const box = item.parent || item;
    const mark = this.mark;
    box.el.appendChild(mark);
    mark.setAttribute("x", item.box ? -3 : 3);
    mark.setAttribute("y", item.box ? -3 : item.y - box.y + 1);
    mark.setAttribute("width", item.box ? item.w + 6 : item.w - 6);
    mark.setAttribute("height", item.box ? item.h + 6 : item.h - 2);
    mark.style.display = "";
    if (reveal) this.reveal(item);
    if (!this.selected || this.selected !== item) {
      this.say(item.label + (item.box ? "" : " (column)") + ". Space: show its lineage" + (item.href ? ", Enter: open." : "."), item);
    }
  };

  Figure.prototype.say = function (text, item) {
    this.status.replaceChildren(document.createTextNode(text + " "));
    if (item && item.href) {
      const a = document.createElement("a");
      a.setAttribute("href", item.href);
      a.textContent = "open " + item.label;
      this.status.appendChild(a);
    }
  };

  /** Highlight everything upstream and downstream of an item within the drawing. */
  Figure.prototype.select = function (item) {
    this.clear();
    this.selected = item;
    const start = [item.id].concat(item.box ? item.rows.map(function (r) { return r.id; }) : []);
    const lit = new Set(start);
    const self = this;
    let counts = [0, 0];
    // An edge to a box header stands for an edge to each of its drawn rows (bundled join keys, filters).
    [[this.up, 0], [this.down, 1]].forEach(function (pair) {
      const adjacency = pair[0];
      const upward = pair[1] === 0;
      const seen = new Set(start);
      const queue = start.slice();
      function reach(id, counted) {
        if (seen.has(id)) return;
        seen.add(id);
        lit.add(id);
        queue.push(id);
        if (counted) counts[pair[1]]++;
      }
      while (queue.length) {
        const id = queue.shift();
        const item = self.items[id];
        const edges = (adjacency[id] || []).concat(upward && item && item.parent ? adjacency[item.parent.id] || [] : []);
        edges.forEach(function (edge) {
          edge.el.classList.add("lit");
          reach(edge.other, true);
          const other = self.items[edge.other];
          if (!upward && other && other.box) other.rows.forEach(function (row) { reach(row.id, false); });
        });
      }
    });
    lit.forEach(function (id) {
      const other = self.items[id];
      if (other) { other.el.classList.add("lit"); if (other.parent) other.parent.el.classList.add("lit"); }
    });
    item.el.classList.add("sel");
    this.svg.classList.add("selecting");
    if (this.clearButton) this.clearButton.hidden = false;
    this.say(item.label + ": " + counts[0] + " upstream, " + counts[1] + " downstream in this drawing.", item);
  };

  Figure.prototype.clear = function () {
    this.svg.querySelectorAll(".lit, .sel").forEach(function (el) { el.classList.remove("lit", "sel"); });
    this.svg.classList.remove("selecting");
    this.selected = null;
    if (this.clearButton) this.clearButton.hidden = true;
  };

  Figure.prototype.selectAnchor = function (anchor) {
    const focus = this.focusItem;
    const item = this.order.find(function (i) { return i.anchor === anchor && i.parent === focus; });
    if (!item) return false;
    this.moveCursor(item, true);
    this.select(item);
    return true;
  };

  Figure.prototype.depth = function (button) {
    const self = this;
    const src = button.getAttribute("data-src");
    const selectedLabel = this.selected ? this.selected.label : null;
    const done = function (svg) {
      if (!svg) { self.say("Could not load this view."); return; }
      self.attach(svg);
      self.el.querySelectorAll("[data-depth]").forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
      const again = selectedLabel && self.order.find(function (i) { return i.label === selectedLabel; });
      if (again) { self.moveCursor(again, true); self.select(again); }
    };
    if (!src) { done(this.original); return; }
    load(button.getAttribute("data-key"), src).then(function (markup) {
      if (typeof markup !== "string") { done(null); return; }
      const parsed = new DOMParser().parseFromString(markup, "image/svg+xml").documentElement;
      done(parsed.nodeName === "svg" ? document.importNode(parsed, true) : null);
    });
  };

  Figure.prototype.highlight = function (button) {
    const on = button.getAttribute("aria-pressed") !== "true";
    this.el.querySelectorAll("[data-highlight]").forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
    this.svg.querySelectorAll(".path, .pathhl").forEach(function (el) { el.classList.remove("path", "pathhl"); });
    if (!on) return;
    button.setAttribute("aria-pressed", "true");
    const ids = new Set((button.getAttribute("data-highlight") || "").split(" ").filter(Boolean));
    const self = this;
    ids.forEach(function (id) { if (self.items[id]) self.items[id].el.classList.add("path"); });
    this.svg.querySelectorAll("path.e").forEach(function (path) {
      if (ids.has(path.getAttribute("data-s")) && ids.has(path.getAttribute("data-t"))) path.classList.add("pathhl");
    });
  };

  /* ------------------------------------------------------------------ start */
  const figures = Array.from(document.querySelectorAll("figure.lineage")).map(function (el) { return new Figure(el); });

  function followHash() {
    const anchor = decodeURIComponent(window.location.hash.slice(1));
    if (anchor) figures.some(function (figure) { return figure.selectAnchor(anchor); });
  }
  window.addEventListener("hashchange", followHash);
  let closedForPrint = [];
  window.addEventListener("beforeprint", function () {
    figures.forEach(function (f) { f.svg.setAttribute("viewBox", "0 0 " + f.width + " " + f.height); });
    closedForPrint = Array.from(document.querySelectorAll("details:not([open])"));
    closedForPrint.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    figures.forEach(function (f) { f.apply(); });
    closedForPrint.forEach(function (d) { d.open = false; });
  });
  setupHeaderSearch();
  setupSearchPage();
  followHash();
})();
