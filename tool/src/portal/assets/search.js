// The portal's only script: filters the catalog table and searches the
// site. Plain JavaScript, no framework; every page reads without it.
(function () {
  "use strict";
  var words = function (text) {
    return text.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
  };

  // The catalog: a search box and filters over the table's rows.
  var form = document.querySelector("form[data-catalog]");
  if (form) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#catalog tbody tr"));
    var count = document.getElementById("count");
    var value = function (id) { return document.getElementById(id).value; };
    var apply = function () {
      var terms = words(value("q"));
      var team = value("team"), path = value("path"), env = value("env"), lifecycle = value("lifecycle");
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.getAttribute("data-search");
        var ok = terms.every(function (t) { return text.indexOf(t) >= 0; }) &&
          (!team || row.getAttribute("data-team") === team) &&
          (!path || row.getAttribute("data-path") === path) &&
          (!env || row.getAttribute("data-env").indexOf(" " + env + " ") >= 0) &&
          (!lifecycle || row.getAttribute("data-lifecycle") === lifecycle);
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = shown + (shown === 1 ? " service" : " services") + " of " + rows.length;
    };
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    var initial = new URLSearchParams(window.location.search).get("q");
    if (initial) { document.getElementById("q").value = initial; }
    apply();
  }

  // The site search: every page's words, from search-index.js.
  var site = document.querySelector("form[data-site-search]");
  if (site && window.PAVED_SEARCH) {
    var input = document.getElementById("site-q");
    var list = document.getElementById("site-results");
    var status = document.getElementById("site-count");
    var search = function () {
      var terms = words(input.value);
      list.textContent = "";
      if (terms.length === 0) { status.textContent = ""; return; }
      var hits = window.PAVED_SEARCH.map(function (entry) {
        var title = entry.t.toLowerCase(), text = entry.x.toLowerCase();
        var score = 0;
        for (var i = 0; i < terms.length; i += 1) {
          if (title.indexOf(terms[i]) >= 0) { score += 10; }
          else if (text.indexOf(terms[i]) >= 0) { score += 1; }
          else { return null; }
        }
        return { entry: entry, score: score };
      }).filter(function (hit) { return hit !== null; });
      hits.sort(function (a, b) { return b.score - a.score || (a.entry.t < b.entry.t ? -1 : 1); });
      hits.slice(0, 100).forEach(function (hit) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = hit.entry.u;
        link.textContent = hit.entry.t;
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = " (" + hit.entry.k + ")";
        item.appendChild(link);
        item.appendChild(kind);
        list.appendChild(item);
      });
      status.textContent = hits.length + (hits.length === 1 ? " result" : " results");
    };
    input.addEventListener("input", search);
    site.addEventListener("submit", function (event) { event.preventDefault(); search(); });
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) { input.value = query; search(); }
  }
}());
