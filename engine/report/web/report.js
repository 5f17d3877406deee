/* Cairn timeline report: builds the page from the JSON in #cairn-data.
 * Inlined into the page by engine/report/render_html.cc.
 * Rule: evidence text only ever reaches the DOM through textContent (el()/text()), never
 * innerHTML; ECharts draws on canvas, and its tooltips are built as DOM nodes the same way. */
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('cairn-data').textContent);
  var charts = {};
  var rowSummary = {};
  D.timeline.rows.forEach(function (r) { rowSummary[r.event_id] = r.summary; });

  // ---------- DOM helpers (textContent only) ----------
  function el(tag, cls, children) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (children !== undefined && children !== null) append(node, children);
    return node;
  }
  function append(node, children) {
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      if (typeof c === 'string' || typeof c === 'number') node.appendChild(document.createTextNode(String(c)));
      else node.appendChild(c);
    });
    return node;
  }
  function td(content, cls) { return el('td', cls, content); }
  function th(content, cls) { return el('th', cls, content); }
  function fmtInt(n) { return (n === null || n === undefined) ? '—' : Number(n).toLocaleString('en-US'); }
  function fmtTime(iso) { return iso ? iso.replace('T', ' ').replace('Z', 'Z') : '—'; }
  // HH:MM and the zone: "09:45Z", or "10:45+01:00" when the report is in another zone (--tz).
  function fmtShort(iso) { return iso ? iso.substring(11, 16) + (/Z$/.test(iso) ? 'Z' : iso.substring(iso.length - 6)) : '—'; }
  function fmtBytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    if (n < 1073741824) return (n / 1048576).toFixed(1) + ' MiB';
    return (n / 1073741824).toFixed(2) + ' GiB';
  }
  function ms(iso) { return iso ? Date.parse(iso) : null; }
  // Chart position: the wall-clock time in the report's zone, read as if it were UTC (the charts use
  // useUTC), so the axes show the same clock as the tables whatever the browser's own zone.
  function wall(iso) { return iso ? Date.parse(iso.substring(0, 19) + 'Z') : null; }
  function pill(text, cls) { return el('span', 'pill ' + (cls || text), text); }
  function section(id, title, sub) {
    var s = el('section', 'card');
    s.id = id;
    s.appendChild(el('h2', null, title));
    if (sub) s.appendChild(el('p', 'sub', sub));
    return s;
  }
  function table(headers, numeric) {
    var t = el('table');
    var tr = el('tr');
    headers.forEach(function (h, i) { tr.appendChild(th(h, numeric && numeric.indexOf(i) >= 0 ? 'num' : null)); });
    t.appendChild(el('thead', null, tr));
    var body = el('tbody');
    t.appendChild(body);
    return { table: t, body: body };
  }
  function tip(title, rows) {
    var box = el('div', 'tooltip-box');
    box.appendChild(el('b', null, title));
    rows.forEach(function (r) { if (r) box.appendChild(el('div', 'row', r)); });
    return box;
  }
  function initChart(id) {
    var node = document.getElementById(id);
    var chart = echarts.init(node, null, { renderer: 'canvas' });
    charts[id] = chart;
    return chart;
  }
  var SEV_COLOR = { high: '#b42318', medium: '#b54708', low: '#667085' };
  var baseText = { fontFamily: '-apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif', color: '#344054' };

  // ---------- header ----------
  var app = document.getElementById('app');
  var R = D.report, V = D.verdict, S = D.spike, T = D.timeline;
  // The zone the times are written in (cairn report --tz): "UTC", or e.g. "Europe/Berlin (CET/CEST)".
  var TZ = R.time_zone || 'UTC';
  var TZLABEL = TZ + (R.time_zone_abbreviations && R.time_zone_abbreviations !== TZ ? ' (' + R.time_zone_abbreviations + ')' : '');

  var header = el('header', 'top');
  var hw = el('div', 'wrap');
  var left = el('div');
  left.appendChild(el('div', 'brand', 'Cairn · timeline report'));
  left.appendChild(el('h1', null, R.title));
  var meta = el('div', 'meta');
  meta.appendChild(el('span', null, 'Case: ' + R.case));
  meta.appendChild(el('span', null, 'Events: ' + fmtTime(R.first_event) + ' → ' + fmtTime(R.last_event)));
  if (R.window.from || R.window.to) {
    meta.appendChild(el('span', null, 'Window: ' + fmtTime(R.window.from) + ' → ' + fmtTime(R.window.to)));
  }
  if (R.generated_at) meta.appendChild(el('span', null, 'Generated: ' + fmtTime(R.generated_at)));
  left.appendChild(meta);
  hw.appendChild(left);
  var verdictName = V.present ? (V.verdict || 'unknown') : 'no verdict';
  var badge = el('div', 'verdict-badge ' + (V.present ? String(V.verdict).toLowerCase() : ''));
  badge.appendChild(el('div', 'label', 'Verdict'));
  badge.appendChild(el('div', 'value', verdictName.toUpperCase()));
  var conf = V.confidence !== null ? 'confidence ' + Math.round(V.confidence * 100) + '%' :
      (V.confidence_text ? 'confidence ' + V.confidence_text : (V.present ? '' : 'no playbook run given'));
  badge.appendChild(el('div', 'conf', conf));
  hw.appendChild(badge);
  header.appendChild(hw);
  app.appendChild(header);

  var nav = el('nav', 'toc');
  var nw = el('div', 'wrap');
  [['verdict', 'Verdict & findings'], ['spike', 'Error spike'], ['status', 'Status codes'], ['locations', 'Locations'],
   ['graph', 'Entity graph'], ['timeline', 'Timeline'], ['steps', 'Playbook steps'], ['custody', 'Chain of custody']]
    .forEach(function (p) {
      var a = el('a', null, p[1]);
      a.href = '#' + p[0];
      nw.appendChild(a);
    });
  nav.appendChild(nw);
  app.appendChild(nav);

  var main = el('main', 'wrap');
  app.appendChild(main);

  // ---------- key facts ----------
  var facts = el('div', 'facts');
  function fact(k, v, d) {
    var f = el('div', 'fact');
    f.appendChild(el('div', 'k', k));
    f.appendChild(el('div', 'v', v));
    if (d) f.appendChild(el('div', 'd', d));
    facts.appendChild(f);
  }
  var highFindings = D.findings.filter(function (f) { return f.severity === 'high' || f.severity === 'critical'; }).length;
  fact('Findings', V.present ? String(D.findings.length) : '—', V.present ? highFindings + ' high or critical' : 'no playbook run');
  fact('Spike onset', S.present || S.onset ? fmtShort(S.onset) : '—', S.onset ? S.onset.substring(0, 10) : 'no outlier');
  fact('Peak', S.present ? fmtInt(S.peak_count) + '/min' : '—', S.present ? S.label : '');
  fact('Notable events', fmtInt(T.notable), fmtInt(T.shown) + ' timeline rows');
  fact('Evidence', fmtInt(D.custody.total_events) + ' events', D.custody.sources.length + ' sources, ' +
       fmtInt(D.custody.total_rejects) + ' rejected');
  main.appendChild(facts);

  // ---------- verdict and findings ----------
  var sv = section('verdict', 'Verdict and findings',
    V.present ? ('From the playbook run ' + (V.playbook ? '“' + V.playbook + '” ' : '') + '(' + V.record + ').')
              : 'No playbook run was given (--playbook-run): the sections below are computed from the case alone.');
  if (V.reason) sv.appendChild(el('p', null, V.reason));
  if (D.signals.length) {
    var ul = el('ul', 'signals');
    D.signals.forEach(function (s) {
      var li = el('li', 'for-' + String(s.supports).toLowerCase());
      li.appendChild(el('span', 'mark', s.fired ? '✔' : '✘'));
      li.appendChild(document.createTextNode(s.sentence || s.id));
      if (s.supports) li.appendChild(el('span', 'note', '  (supports ' + s.supports + ')'));
      ul.appendChild(li);
    });
    sv.appendChild(ul);
  }
  D.findings.forEach(function (f) {
    var box = el('div', 'finding ' + (f.severity || 'info'));
    box.id = 'finding-' + f.id;
    var h = el('h3');
    h.appendChild(pill(f.severity || 'info', f.severity || 'info'));
    h.appendChild(document.createTextNode(f.title || f.id));
    box.appendChild(h);
    if (f.sentence) box.appendChild(el('p', null, f.sentence));
    if (f.steps.length) {
      var st = el('div', 'steps', 'Produced by step' + (f.steps.length > 1 ? 's ' : ' '));
      f.steps.forEach(function (id, i) {
        if (i) st.appendChild(document.createTextNode(', '));
        var a = el('a', null, id);
        a.href = '#step-' + encodeURIComponent(id);
        st.appendChild(a);
      });
      box.appendChild(st);
    }
    if (f.evidence.length) {
      var t = table(['Time', 'Source', 'Event', 'Details']);
      t.table.className = 'evidence';
      var cols = el('colgroup');
      ['190px', '150px', '110px', null].forEach(function (w) { var c = el('col'); if (w) c.style.width = w; cols.appendChild(c); });
      t.table.insertBefore(cols, t.table.firstChild);
      f.evidence.slice(0, 50).forEach(function (e) {
        var tr = el('tr');
        tr.appendChild(td(fmtTime(e.time), 'time'));
        tr.appendChild(td(e.source));
        var cell = td();
        if (e.event_id > 0) {
          var a = el('a', 'jump', '#' + e.event_id);
          a.addEventListener('click', function () { showEvent(e.event_id); });
          cell.appendChild(a);
        } else {
          cell.appendChild(document.createTextNode(e.ref));
          if (e.ref) cell.appendChild(el('span', 'note', ' (not in this case)'));
        }
        tr.appendChild(cell);
        tr.appendChild(td(e.text || (e.event_id > 0 ? rowSummary[e.event_id] || '' : '')));
        t.body.appendChild(tr);
      });
      box.appendChild(t.table);
      if (f.evidence.length > 50) box.appendChild(el('p', 'note', '… and ' + (f.evidence.length - 50) + ' more items (see the JSON report).'));
    }
    sv.appendChild(box);
  });
  if (V.present && !D.findings.length) sv.appendChild(el('p', 'empty', 'The run reported no findings.'));
  if (D.actions.length) {
    sv.appendChild(el('h3', null, 'Recommended actions'));
    var ol = el('ol', 'actions');
    D.actions.forEach(function (a) { ol.appendChild(el('li', null, a)); });
    sv.appendChild(ol);
  }
  main.appendChild(sv);

  // ---------- spike ----------
  var ss = section('spike', 'Error spike and outlier band',
    S.present ? ('Series “' + S.label + '”: events per minute against mean ± ' + S.threshold +
                 '·sd of the previous ' + S.window + ' non-empty minutes (the query language’s outlier). ' +
                 'Onset ' + fmtTime(S.onset) + ', peak ' + fmtInt(S.peak_count) + '/min at ' + fmtTime(S.peak_minute) +
                 ', ' + fmtInt(S.total) + ' events.')
              : 'No error series leaves its outlier band in this window.');
  var spikeDiv = el('div', 'chart');
  spikeDiv.id = 'chart-spike';
  ss.appendChild(spikeDiv);
  main.appendChild(ss);

  // ---------- status ----------
  var sst = section('status', 'Status codes per minute',
    'S3 server access and Apache access logs, stacked by HTTP status. Success codes are hidden at first; click the legend to show them.');
  var statusDiv = el('div', 'chart');
  statusDiv.id = 'chart-status';
  sst.appendChild(statusDiv);
  main.appendChild(sst);

  // ---------- locations ----------
  var incidentCount = D.locations.filter(function (l) { return l.class === 'incident'; }).length;
  var sl = section('locations', 'Where the principals acted from',
    D.locations.length ? (D.locations.length + ' located addresses: ' + incidentCount + ' first seen in the incident window, ' +
      (D.locations.length - incidentCount) + ' baseline. GeoIP: ' + R.geoip + '.')
      : 'No located addresses (' + (R.geoip || 'no GeoIP database') + ').');
  var grid = el('div', 'grid2');
  var mapDiv = el('div', 'chart tall');
  mapDiv.id = 'chart-map';
  grid.appendChild(mapDiv);
  var locTable = table(['Address', 'Class', 'Location', 'Principals', 'Events'], [4]);
  D.locations.forEach(function (l) {
    var tr = el('tr');
    tr.appendChild(td(l.ip, 'mono'));
    tr.appendChild(td(pill(l['class'], l['class'])));
    tr.appendChild(td((l.city ? l.city + ', ' : '') + (l.country || l.country_code)));
    tr.appendChild(td(l.principals.join(', ')));
    tr.appendChild(td(fmtInt(l.events), 'num'));
    locTable.body.appendChild(tr);
  });
  var right = el('div');
  right.appendChild(locTable.table);
  right.appendChild(el('p', 'note', 'Incident: an address first used by its principal within ' +
    'the hour before the spike onset or later, or named by the playbook run. Baseline: used before.'));
  grid.appendChild(right);
  sl.appendChild(grid);
  main.appendChild(sl);

  // ---------- graph ----------
  var sg = section('graph', 'Entity graph of the incident',
    D.graph.nodes.length ? (D.graph.nodes.length + ' entities and ' + D.graph.edges.length + ' relations (' + D.graph.origin +
      '). Red edges carry errors. Click a node to filter the timeline by it.')
      : 'No relations to show.');
  var graphDiv = el('div', 'chart tall');
  graphDiv.id = 'chart-graph';
  sg.appendChild(graphDiv);
  main.appendChild(sg);

  // ---------- timeline ----------
  var stl = section('timeline', 'Timeline of notable events',
    fmtInt(T.shown) + ' rows folding ' + fmtInt(T.notable) + ' notable events (errors ≥ 400, failed calls, ' +
    'CloudTrail changes, IAM activity, logins, cited evidence); errors of one kind in the same minute are folded into one row.' +
    (T.capped ? ' Capped: ' + fmtInt(T.groups) + ' rows before the cap; evidence and the most severe rows near the onset are kept.' : '') +
    ' Click a row for the original record.');
  var filters = el('div', 'filters');
  function labelled(text, control) { var l = el('label', null, text); l.appendChild(control); return l; }
  var srcSel = el('select');
  srcSel.id = 'f-source';
  srcSel.appendChild(el('option', null, 'all sources'));
  srcSel.options[0].value = '';
  var sources = {};
  T.rows.forEach(function (r) { sources[r.source_name || r.source_type] = 1; });
  Object.keys(sources).sort().forEach(function (s) { var o = el('option', null, s); o.value = s; srcSel.appendChild(o); });
  filters.appendChild(labelled('Source ', srcSel));
  var sevBoxes = {};
  ['high', 'medium', 'low'].forEach(function (s) {
    var cb = el('input');
    cb.type = 'checkbox';
    cb.checked = true;
    cb.id = 'f-sev-' + s;
    sevBoxes[s] = cb;
    var l = el('label');
    l.appendChild(cb);
    l.appendChild(pill(s, s));
    filters.appendChild(l);
  });
  var evOnly = el('input');
  evOnly.type = 'checkbox';
  evOnly.id = 'f-evidence';
  var evl = el('label');
  evl.appendChild(evOnly);
  evl.appendChild(document.createTextNode('cited evidence only'));
  filters.appendChild(evl);
  var entity = el('input');
  entity.type = 'search';
  entity.id = 'f-entity';
  entity.placeholder = 'principal, key, address, bucket…';
  filters.appendChild(labelled('Entity ', entity));
  var countLabel = el('span', 'count');
  filters.appendChild(countLabel);
  stl.appendChild(filters);

  var tt = table(['Time (' + (TZ === 'UTC' ? 'UTC' : TZ) + ')', 'Severity', 'Source', 'What happened', 'Principal', 'Address']);
  tt.table.id = 'timeline-table';
  var tcols = el('colgroup');
  ['190px', '92px', '170px', null, '170px', '150px'].forEach(function (w) { var c = el('col'); if (w) c.style.width = w; tcols.appendChild(c); });
  tt.table.insertBefore(tcols, tt.table.firstChild);
  var rowsById = {};
  var onsetMs = ms(S.onset);
  var onsetPlaced = false;
  var tlRows = [];
  T.rows.forEach(function (r) {
    if (onsetMs !== null && !onsetPlaced && ms(r.time) >= onsetMs) {
      var orow = el('tr', 'onset');
      var c = td('▼ Spike onset ' + fmtTime(S.onset) + (S.label ? ' — ' + S.label : ''));
      c.colSpan = 6;
      orow.appendChild(c);
      tt.body.appendChild(orow);
      onsetPlaced = true;
    }
    var tr = el('tr', 'tl-row sev-' + r.severity);
    tr.dataset.eventId = String(r.event_id);
    tr.appendChild(td(fmtTime(r.time), 'time'));
    tr.appendChild(td(pill(r.severity, r.severity), 'sev'));
    var srcName = r.source_name || r.source_type;
    var src = td(srcName.substring(srcName.lastIndexOf('/') + 1), 'src');
    src.title = srcName;
    tr.appendChild(src);
    var what = td(null, 'what');
    if (r.findings.length) { what.appendChild(pill('evidence', 'ev')); what.appendChild(document.createTextNode(' ')); }
    what.appendChild(document.createTextNode(r.summary));
    tr.appendChild(what);
    tr.appendChild(td(r.actor, 'who'));
    tr.appendChild(td(r.source_ip, 'mono'));
    var detail = el('tr', 'detail');
    detail.hidden = true;
    var dcell = td();
    dcell.colSpan = 6;
    var dl = el('dl');
    [['event', '#' + r.event_id + ' · ' + r.source_type + ' · ' + r.kind],
     ['source file', r.source_name], ['principal', r.actor], ['access key', r.access_key], ['address', r.source_ip],
     ['target', r.target], ['status', r.status ? String(r.status) : ''], ['error', r.error_code],
     ['user agent', r.user_agent], ['folded', r.similar ? r.similar + ' similar events in this minute' : ''],
     ['cited by', r.findings.join(', ')]].forEach(function (kv) {
      if (!kv[1]) return;
      dl.appendChild(el('dt', null, kv[0]));
      dl.appendChild(el('dd', null, kv[1]));
    });
    dcell.appendChild(dl);
    var raw = r.raw;
    if (r.source_type === 'cloudtrail') {
      try { raw = JSON.stringify(JSON.parse(r.raw), null, 2); } catch (e) { raw = r.raw; }
    }
    dcell.appendChild(el('pre', 'raw', raw));
    detail.appendChild(dcell);
    tr.addEventListener('click', function () {
      detail.hidden = !detail.hidden;
      tr.classList.toggle('open', !detail.hidden);
    });
    tt.body.appendChild(tr);
    tt.body.appendChild(detail);
    var hay = [r.actor, r.access_key, r.source_ip, r.target, r.user_agent, r.summary].join('\n').toLowerCase();
    var entry = { row: r, tr: tr, detail: detail, hay: hay };
    tlRows.push(entry);
    rowsById[r.event_id] = entry;
  });
  if (!T.rows.length) stl.appendChild(el('p', 'empty', 'No notable events in this window.'));
  stl.appendChild(tt.table);
  main.appendChild(stl);

  function applyFilters() {
    var src = srcSel.value, q = entity.value.trim().toLowerCase(), shown = 0;
    tlRows.forEach(function (e) {
      var r = e.row;
      var ok = sevBoxes[r.severity].checked &&
               (!src || (r.source_name || r.source_type) === src) &&
               (!evOnly.checked || r.findings.length > 0) &&
               (!q || e.hay.indexOf(q) >= 0);
      e.tr.hidden = !ok;
      if (!ok) e.detail.hidden = true;
      if (ok) shown++;
    });
    countLabel.textContent = shown + ' of ' + tlRows.length + ' rows';
    return shown;
  }
  [srcSel, evOnly, entity].concat(Object.keys(sevBoxes).map(function (k) { return sevBoxes[k]; }))
    .forEach(function (c) { c.addEventListener('input', applyFilters); c.addEventListener('change', applyFilters); });
  applyFilters();

  function showEvent(id) {
    var e = rowsById[id];
    if (!e) return;
    srcSel.value = '';
    entity.value = '';
    evOnly.checked = false;
    Object.keys(sevBoxes).forEach(function (k) { sevBoxes[k].checked = true; });
    applyFilters();
    e.detail.hidden = false;
    e.tr.classList.add('open');
    e.tr.scrollIntoView({ block: 'center' });
  }

  // ---------- steps ----------
  var sp = section('steps', 'Playbook steps',
    D.steps.length ? 'The steps of the run, and the findings each produced.' : 'No playbook run steps.');
  if (D.steps.length) {
    var stt = table(['Step', 'Kind', 'What', 'Status', 'Rows', 'Findings'], [4]);
    D.steps.forEach(function (s) {
      var tr = el('tr');
      tr.id = 'step-' + encodeURIComponent(s.id);
      tr.appendChild(td(s.id, 'mono'));
      tr.appendChild(td(s.kind));
      var what = td(s.description);
      if (s.detail) { if (s.description) what.appendChild(el('br')); what.appendChild(el('span', 'mono', s.detail)); }
      tr.appendChild(what);
      tr.appendChild(td(s.status));
      tr.appendChild(td(s.rows === null ? '' : fmtInt(s.rows), 'num'));
      var fc = td();
      s.findings.forEach(function (id, i) {
        if (i) fc.appendChild(document.createTextNode(', '));
        var a = el('a', 'jump', id);
        a.href = '#finding-' + encodeURIComponent(id);
        fc.appendChild(a);
      });
      tr.appendChild(fc);
      stt.body.appendChild(tr);
    });
    sp.appendChild(stt.table);
  }
  main.appendChild(sp);

  // ---------- custody ----------
  var sc = section('custody', 'Chain of custody',
    'Every input file as ingested: content hash (SHA-256), size, and what was read from it. Case content hash: ' + R.case_hash + '.');
  var ct = table(['Path', 'Format', 'Categories', 'Size', 'SHA-256', 'Events', 'Rejects', 'Duplicates'], [3, 5, 6, 7]);
  D.custody.sources.forEach(function (s) {
    var tr = el('tr');
    var p = td(s.path, 'path');
    if (s.note) { p.appendChild(el('br')); p.appendChild(el('span', 'note', s.note)); }
    tr.appendChild(p);
    tr.appendChild(td(s.format));
    tr.appendChild(td(s.categories.join(', ')));
    tr.appendChild(td(fmtBytes(s.size), 'num'));
    tr.appendChild(td(s.sha256, 'hash'));
    tr.appendChild(td(fmtInt(s.events), 'num'));
    tr.appendChild(td(fmtInt(s.rejects), 'num'));
    tr.appendChild(td(fmtInt(s.duplicates), 'num'));
    ct.body.appendChild(tr);
  });
  if (!D.custody.sources.length) sc.appendChild(el('p', 'empty', 'No sources in this case.'));
  sc.appendChild(ct.table);
  main.appendChild(sc);

  var footer = el('footer');
  footer.appendChild(el('div', 'wrap',
    'Generated by cairn report. Self-contained: charts by Apache ECharts ' + (window.CAIRN_ECHARTS_VERSION || '') +
    ', world outline from world-atlas (Natural Earth), no network access. ' +
    (TZ === 'UTC' ? 'All times UTC.' : 'All times in ' + TZLABEL + ', each with its UTC offset.')));
  document.body.appendChild(footer);

  // ---------- charts ----------
  function timeAxis() {
    return { type: 'time', axisLabel: { color: '#667085', hideOverlap: true }, axisLine: { lineStyle: { color: '#c8d1db' } },
             splitLine: { show: false } };
  }
  function valueAxis(name) {
    return { type: 'value', name: name, nameTextStyle: { color: '#667085' }, minInterval: 1,
             axisLabel: { color: '#667085' }, splitLine: { lineStyle: { color: '#eef1f4' } } };
  }
  function zoomFor(points) {
    var onsetWall = wall(S.onset);
    if (onsetWall === null || !points.length) return [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 6 }];
    var start = onsetWall - 30 * 60000, end = onsetWall + 60 * 60000;
    return [{ type: 'inside', startValue: start, endValue: end },
            { type: 'slider', height: 18, bottom: 6, startValue: start, endValue: end }];
  }

  // Spike: bars of the series, the band as a stacked area, the upper bound dashed, the onset marked.
  (function () {
    var chart = initChart('chart-spike');
    var P = S.points;
    var bars = P.map(function (p) {
      return { value: [wall(p.minute), p.count], itemStyle: { color: p.flagged ? '#d92d20' : '#98a2b3' } };
    });
    var lower = P.map(function (p) { return [wall(p.minute), p.upper === null ? null : Math.max(0, p.lower)]; });
    var width = P.map(function (p) { return [wall(p.minute), p.upper === null ? null : p.upper - Math.max(0, p.lower)]; });
    var upper = P.map(function (p) { return [wall(p.minute), p.upper]; });
    var marks = [];
    if (onsetMs !== null) marks.push({ xAxis: wall(S.onset), label: { formatter: 'onset ' + fmtShort(S.onset), color: '#b42318' } });
    chart.setOption({
      animation: false, useUTC: true,
      textStyle: baseText,
      grid: { left: 50, right: 24, top: 36, bottom: 56 },
      legend: { top: 0, data: ['events per minute', 'expected band', 'upper bound'] },
      tooltip: {
        trigger: 'axis', confine: true,
        formatter: function (items) {
          if (!items.length) return '';
          var i = items[0].dataIndex, p = P[i];
          if (!p) return '';
          return tip(fmtTime(p.minute), [p.count + ' events' + (p.flagged ? ' — outside the band' : ''),
            p.upper === null ? 'no baseline yet' : 'band ' + Math.max(0, p.lower).toFixed(1) + ' … ' + p.upper.toFixed(1)]);
        }
      },
      xAxis: timeAxis(),
      yAxis: valueAxis('events/min'),
      dataZoom: zoomFor(P),
      series: [
        { name: 'band-base', type: 'line', stack: 'band', data: lower, symbol: 'none', lineStyle: { opacity: 0 },
          silent: true, connectNulls: false },
        { name: 'expected band', type: 'line', stack: 'band', data: width, symbol: 'none', lineStyle: { opacity: 0 },
          areaStyle: { color: 'rgba(46,144,250,0.14)' }, silent: true, connectNulls: false, itemStyle: { color: '#84caff' } },
        { name: 'upper bound', type: 'line', data: upper, symbol: 'none', lineStyle: { type: 'dashed', color: '#2e90fa', width: 1.2 },
          itemStyle: { color: '#2e90fa' }, connectNulls: false },
        { name: 'events per minute', type: 'bar', data: bars, barMaxWidth: 14, itemStyle: { color: '#98a2b3' },
          markLine: { symbol: 'none', silent: true, lineStyle: { color: '#b42318', type: 'solid', width: 1.5 }, data: marks } }
      ]
    });
  })();

  // Status codes: one stacked bar series per code over the union of minutes.
  (function () {
    var chart = initChart('chart-status');
    var rows = D.status_per_minute.rows, codes = D.status_per_minute.codes;
    var minutes = [], index = {};
    rows.forEach(function (r) { if (!(r.minute in index)) { index[r.minute] = minutes.length; minutes.push(r.minute); } });
    var byCode = {};
    codes.forEach(function (c) { byCode[c] = minutes.map(function (m) { return [wall(m), 0]; }); });
    rows.forEach(function (r) { byCode[r.status][index[r.minute]][1] = r.count; });
    var palette = { 2: ['#12b76a', '#32d583', '#6ce9a6'], 3: ['#2e90fa', '#53b1fd'], 4: ['#f79009', '#fdb022', '#e04f16', '#fec84b', '#dc6803'],
                    5: ['#d92d20', '#912018', '#f04438', '#b42318'] };
    var used = {};
    var hasErrors = codes.some(function (c) { return c >= 400; });
    var selected = {};
    var series = codes.map(function (c) {
      var cls = Math.floor(c / 100), list = palette[cls] || ['#98a2b3'];
      used[cls] = (used[cls] || 0);
      var color = list[used[cls]++ % list.length];
      selected[String(c)] = !hasErrors || c >= 400;
      return { name: String(c), type: 'bar', stack: 'status', data: byCode[c], itemStyle: { color: color }, barMaxWidth: 14,
               large: minutes.length > 3000 };
    });
    chart.setOption({
      animation: false, useUTC: true,
      textStyle: baseText,
      grid: { left: 50, right: 24, top: 36, bottom: 56 },
      legend: { top: 0, selected: selected },
      tooltip: {
        trigger: 'axis', confine: true,
        formatter: function (items) {
          if (!items.length) return '';
          var lines = items.filter(function (it) { return it.value[1] > 0; })
            .map(function (it) { return it.seriesName + ': ' + it.value[1]; });
          return tip(fmtTime(minutes[items[0].dataIndex]), lines.length ? lines : ['no events']);
        }
      },
      xAxis: timeAxis(),
      yAxis: valueAxis('events/min'),
      dataZoom: zoomFor(minutes),
      series: series
    });
  })();

  // Map: world outline (world-atlas via topojson-client), baseline and incident addresses.
  (function () {
    var chart = initChart('chart-map');
    var world = JSON.parse(document.getElementById('cairn-world').textContent);
    var geo = topojson.feature(world, world.objects.countries);
    geo.features = geo.features.filter(function (f) { return f.properties && f.properties.name !== 'Antarctica'; });
    // world-atlas cuts rings at the antimeridian with points at both -180 and +180; drawn flat,
    // the jump between them is a line across the map. Put such points on the ring's own side.
    // A ring that straddles it (Chukotka) has its minority side clamped onto the meridian.
    function fixRing(ring) {
      var east = 0, farEast = false, farWest = false;
      ring.forEach(function (p) {
        east += p[0] > 0 ? 1 : -1;
        if (p[0] > 90) farEast = true;
        if (p[0] < -90) farWest = true;
      });
      if (!(farEast && farWest)) return;
      ring.forEach(function (p) {
        if (east >= 0 && p[0] < -90) p[0] = 180;
        if (east < 0 && p[0] > 90) p[0] = -180;
      });
    }
    geo.features.forEach(function (f) {
      var g = f.geometry;
      if (!g) return;
      var polys = g.type === 'Polygon' ? [g.coordinates] : (g.type === 'MultiPolygon' ? g.coordinates : []);
      polys.forEach(function (poly) { poly.forEach(fixRing); });
    });
    echarts.registerMap('world', geo);
    function points(cls) {
      return D.locations.filter(function (l) { return l['class'] === cls; }).map(function (l) {
        return { name: l.ip, value: [l.longitude, l.latitude, l.events], loc: l };
      });
    }
    function size(v) { return 8 + Math.min(18, Math.log(1 + v[2]) * 3); }
    var tooltip = function (p) {
      var l = p.data && p.data.loc;
      if (!l) return p.name ? tip(p.name, []) : '';
      return tip(l.ip + ' — ' + l['class'], [(l.city ? l.city + ', ' : '') + (l.country || l.country_code),
        'principals: ' + l.principals.join(', '), l.events + ' events, ' + fmtTime(l.first_seen) + ' → ' + fmtTime(l.last_seen)]);
    };
    chart.setOption({
      animation: false,
      textStyle: baseText,
      tooltip: { trigger: 'item', confine: true, formatter: tooltip },
      legend: { bottom: 4, data: ['baseline', 'incident'] },
      geo: { map: 'world', roam: true, top: 10, bottom: 36, left: 6, right: 6,
             itemStyle: { areaColor: '#e9edf2', borderColor: '#b9c3ce', borderWidth: 0.6 },
             emphasis: { disabled: true }, select: { disabled: true }, silent: true },
      series: [
        { name: 'baseline', type: 'scatter', coordinateSystem: 'geo', data: points('baseline'), symbolSize: size,
          itemStyle: { color: '#2e90fa', borderColor: '#fff', borderWidth: 1, opacity: 0.9 }, z: 3,
          label: { show: true, position: 'left', formatter: function (p) { return p.data.loc.city || p.data.loc.country_code || p.name; },
                   color: '#1849a9', fontSize: 11 }, labelLayout: { hideOverlap: true } },
        { name: 'incident', type: 'scatter', coordinateSystem: 'geo', data: points('incident'), symbolSize: size,
          itemStyle: { color: '#d92d20', borderColor: '#fff', borderWidth: 1.2 }, z: 4,
          label: { show: true, position: 'right', formatter: function (p) { return p.data.loc.city || p.data.loc.country_code || p.name; },
                   color: '#912018', fontSize: 11 }, labelLayout: { hideOverlap: true } }
      ]
    });
  })();

  // Graph: force layout; categories by entity kind.
  (function () {
    var chart = initChart('chart-graph');
    var kinds = [];
    D.graph.nodes.forEach(function (n) { if (kinds.indexOf(n.kind) < 0) kinds.push(n.kind); });
    var colors = ['#2e90fa', '#7a5af8', '#f79009', '#12b76a', '#ee46bc', '#667085', '#0ba5ec', '#d92d20'];
    var many = D.graph.nodes.length > 40;
    var n = Math.max(1, D.graph.nodes.length);
    var nodes = D.graph.nodes.map(function (n) {
      return { id: n.id, name: n.label, category: kinds.indexOf(n.kind), kind: n.kind, count: n.count,
               symbolSize: 14 + Math.min(26, Math.sqrt(n.count) * 2),
               itemStyle: n.seed ? { borderColor: '#101828', borderWidth: 2 } : undefined,
               label: { show: !many || n.seed } };
    });
    var links = D.graph.edges.map(function (e) {
      return { source: e.source, target: e.target, kind: e.kind, count: e.count, errors: e.errors,
               first: e.first_seen, last: e.last_seen,
               lineStyle: { width: 1 + Math.min(5, Math.log(1 + e.count)), color: e.errors > 0 ? '#f04438' : '#98a2b3', opacity: 0.85 } };
    });
    chart.setOption({
      animation: false,
      textStyle: baseText,
      color: colors,
      legend: { bottom: 4, data: kinds },
      tooltip: {
        trigger: 'item', confine: true,
        formatter: function (p) {
          if (p.dataType === 'edge') {
            var e = p.data;
            return tip(e.kind, [e.count + ' events' + (e.errors ? ', ' + e.errors + ' errors' : ''),
                                fmtTime(e.first) + ' → ' + fmtTime(e.last)]);
          }
          return tip(p.data.name, [p.data.kind + ', ' + p.data.count + ' events']);
        }
      },
      series: [{
        type: 'graph', layout: 'force', roam: true, draggable: true, top: 10, bottom: 40,
        data: nodes, links: links, categories: kinds.map(function (k) { return { name: k }; }),
        force: { repulsion: n > 30 ? 160 : 320, edgeLength: n > 30 ? [40, 90] : [60, 130], gravity: n > 30 ? 0.3 : 0.16,
                 friction: 0.3, layoutAnimation: false },
        label: { position: 'right', fontSize: 11, color: '#344054',
                 formatter: function (p) { var s = p.data.name || ''; return s.length > 28 ? s.substring(0, 27) + '…' : s; } },
        edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 6,
        lineStyle: { curveness: 0.08 },
        emphasis: { focus: 'adjacency', lineStyle: { width: 4 } }
      }]
    });
    // The force layout does not fit itself into the view: zoom and centre on its bounding box.
    var data = chart.getModel().getSeriesByIndex(0).getData();
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (var i = 0; i < data.count(); i++) {
      var p = data.getItemLayout(i);
      if (!p || !isFinite(p[0])) continue;
      x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
    }
    if (isFinite(x0) && data.count() > 1) {
      var w = graphDiv.clientWidth, h = graphDiv.clientHeight - 60;
      var zoom = Math.max(0.2, Math.min(1.5, (w - 200) / Math.max(1, x1 - x0), (h - 30) / Math.max(1, y1 - y0)));
      chart.setOption({ series: [{ center: [(x0 + x1) / 2, (y0 + y1) / 2], zoom: zoom }] });
    }
    chart.on('click', function (p) {
      if (p.dataType !== 'node') return;
      entity.value = p.data.name;
      applyFilters();
      document.getElementById('timeline').scrollIntoView();
    });
  })();

  window.addEventListener('resize', function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });

  // ---------- self-check (#selftest): used by tests/browser ----------
  function painted(id) {
    var canvases = document.getElementById(id).getElementsByTagName('canvas');
    var best = 0;
    for (var c = 0; c < canvases.length; c++) {
      var cv = canvases[c];
      if (!cv.width || !cv.height) continue;
      var px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, n = 0;
      for (var i = 3; i < px.length; i += 16) if (px[i] > 0) n++;
      best = Math.max(best, n);
    }
    return best;
  }
  function seriesCount(id, type) {
    var model = charts[id].getModel(), n = 0, placed = 0;
    model.getSeries().forEach(function (s) {
      if (s.subType !== type) return;
      var data = s.getData();
      n += data.count();
      for (var i = 0; i < data.count(); i++) {
        var layout = data.getItemLayout(i);
        if (layout && isFinite(layout[0] !== undefined ? layout[0] : layout.x)) placed++;
      }
    });
    return { count: n, placed: placed };
  }
  function selftest() {
    var out = { errors: window.__cairnErrors.slice(), alerts: window.__cairnAlerts, charts: {} };
    ['chart-spike', 'chart-status', 'chart-map', 'chart-graph'].forEach(function (id) { out.charts[id] = painted(id); });
    var map = seriesCount('chart-map', 'scatter');
    out.map_points = map.count;
    out.map_points_placed = map.placed;
    out.graph_nodes = seriesCount('chart-graph', 'graph').count;
    out.timeline_rows = document.querySelectorAll('#timeline-table tr.tl-row').length;
    out.onset_marker = document.querySelectorAll('#timeline-table tr.onset').length;
    Object.keys(sevBoxes).forEach(function (k) { sevBoxes[k].checked = k === 'high'; });
    out.timeline_high_rows = applyFilters();
    Object.keys(sevBoxes).forEach(function (k) { sevBoxes[k].checked = true; });
    out.timeline_visible_rows = applyFilters();
    out.findings = document.querySelectorAll('.finding').length;
    out.custody_rows = document.querySelectorAll('#custody tbody tr').length;
    out.injected_elements = document.querySelectorAll('img, iframe, object, embed, svg image').length;
    out.scripts = document.getElementsByTagName('script').length;
    out.xss_flag = window.__cairnXss === undefined ? 0 : window.__cairnXss;
    var pre = document.getElementById('selftest') || document.body.appendChild(el('pre'));
    pre.id = 'selftest';
    pre.textContent = JSON.stringify(out);
  }
  if (location.hash === '#selftest') setTimeout(selftest, 50);
})();
