'use strict';

/*
 * Hookbay ops console.
 *
 * Served under a strict Content-Security-Policy (no inline code or style, no eval, same origin only), so this is
 * plain DOM work with no dependencies. Every value from the server (platform ids, error messages, payloads) is
 * treated as hostile: it reaches the page only through textContent, attribute values and dataset, never innerHTML.
 *
 * Sections of this file: constants and state · DOM helpers · formatting · API · charts · session · navigation ·
 * refresh loop · rendering, one function per section · dead letters · actions · wiring.
 */
(() => {
  // ---------- constants and state ----------

  const TOKEN_KEY = 'hookbay.token';
  const REFRESH_INTERVAL_MS = 2000;
  const SECTIONS = ['platforms', 'queue', 'dlq', 'refusals', 'destinations'];
  const HISTORY_SLOTS = 60; // the server keeps at most 60 history points
  const DLQ_PAGE_SIZE = 20;
  const REFUSALS_LIMIT = 200;
  const PAYLOAD_PREVIEW_CHARS = 4096;
  // An action's error (a toggle the server refused) stays at least this long, even when the refreshes that
  // follow succeed: otherwise the next refresh, two seconds later, would wipe it before anyone could read it.
  const ACTION_ERROR_MIN_MS = 10000;
  const INVALID_TOKEN = 'the admin token is not valid';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const PATHS = {
    platforms: '/api/v1/admin/platforms',
    metrics: '/api/v1/webhooks/metrics',
    stats: '/api/v1/webhooks/stats',
    history: '/api/v1/webhooks/metrics/history',
  };
  // Column order of the platforms table: what an operator acts on first (state, traffic, errors), the
  // configuration details last, where a narrow screen scrolls to them. `toggle` and `chart` are not data fields.
  const PLATFORM_COLUMNS = ['platform', 'enabled', 'toggle', 'received', 'accepted', 'duplicates', 'refused',
    'rate_limited', 'chart', 'last_error', 'adapter', 'scheme', 'rate_limit', 'source_file'];
  const PLATFORM_COUNTERS = ['received', 'accepted', 'duplicates', 'rate_limited'];
  // [cell field, stats field]
  const QUEUE_FIELDS = [['pending', 'pending_count'], ['processing', 'processing_count'],
    ['dead_letter', 'dead_letter_count'], ['processed', 'total_processed']];
  const CIRCUIT_TONES = { closed: 'ok', half_open: 'warn', open: 'error' };

  /** The last good answer of each endpoint: a failed read leaves the previous one on screen. */
  let data = emptyData();
  /** The dead-letter page being looked at. */
  let dlq = emptyDeadLetterState();
  /** What each node was last rendered from, so unchanged parts are not rebuilt every two seconds. */
  let renderedKeys = new WeakMap();
  const banner = { fetchError: '', actionError: '', actionErrorAt: 0 };
  /** Bumped at every sign-out, so answers to requests of an earlier session are dropped. */
  let sessionEpoch = 0;
  let poller = null;

  function emptyData() {
    return {
      platformsRead: false, platforms: [], problems: [],
      metrics: null, stats: null, history: null, refusals: null, refusalsFilter: '',
    };
  }

  function emptyDeadLetterState() {
    // requestSeq/appliedSeq order the answers: a slow refresh must not overwrite the list an action just reloaded.
    return { after: null, next: null, page: 1, signature: null, requestSeq: 0, appliedSeq: 0 };
  }

  // ---------- DOM helpers ----------

  const byId = (id) => document.getElementById(id);

  /** Creates an element: `text` sets textContent, other keys are attributes; null/false children are skipped. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    applyAttributes(node, attributes);
    node.append(...children.filter(isChild));
    return node;
  }

  /** Same as el() for SVG (presentation attributes only, styling comes from classes in console.css). */
  function svgEl(tag, attributes = {}) {
    const node = document.createElementNS(SVG_NS, tag);
    applyAttributes(node, attributes);
    return node;
  }

  function applyAttributes(node, attributes) {
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
  }

  const isChild = (child) => child !== null && child !== undefined && child !== false;

  /** Sets text only when it differs, so a refresh does not disturb a selection the user is making. */
  function setText(node, value) {
    const text = String(value);
    if (node.textContent !== text) node.textContent = text;
  }

  function cell(row, field) {
    return row.querySelector(`[data-field="${field}"]`);
  }

  /** Rebuilds a node's children only when `key` differs from what they were last built from. */
  function renderOnce(node, key, build) {
    if (renderedKeys.get(node) === key) return;
    renderedKeys.set(node, key);
    node.replaceChildren(...build().filter(isChild));
  }

  /**
   * Reconciles a parent's children with `items` by key: existing nodes are updated and moved, not recreated,
   * so focus, open <details> and checkboxes inside them survive a refresh.
   */
  function syncChildren(parent, keyAttribute, items, keyOf, create, update) {
    const existing = new Map();
    for (const child of parent.children) existing.set(child.getAttribute(keyAttribute), child);
    let cursor = parent.firstElementChild;
    for (const item of items) {
      const key = keyOf(item);
      let node = existing.get(key);
      if (node) {
        existing.delete(key);
      } else {
        node = create();
        node.setAttribute(keyAttribute, key);
      }
      update(node, item);
      if (node === cursor) cursor = cursor.nextElementSibling;
      else parent.insertBefore(node, cursor);
    }
    for (const leftover of existing.values()) leftover.remove();
  }

  /** Replaces a select's options when they changed, keeping `preferred` selected while it is still offered. */
  function fillSelect(select, options, preferred) {
    renderOnce(select, JSON.stringify(options), () => options.map(([value, label]) => el('option', { value, text: label })));
    const values = options.map(([value]) => value);
    const wanted = values.includes(preferred) ? preferred : (values[0] ?? '');
    if (select.value !== wanted) select.value = wanted;
  }

  function badge(text, tone) {
    return el('span', { class: `badge ${tone}`, text });
  }

  // ---------- formatting and data access ----------

  const pad2 = (n) => String(n).padStart(2, '0');
  const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const str = (value) => (value === null || value === undefined ? '' : String(value));
  const arrayOf = (value) => (Array.isArray(value) ? value : []);
  const objectOf = (value) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {});
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

  /** A member of a server object by a hostile key: never something inherited such as `constructor`. */
  function own(object, key) {
    return object !== null && typeof object === 'object' && Object.prototype.hasOwnProperty.call(object, key)
      ? object[key] : undefined;
  }

  function sum(values) {
    return values.reduce((total, value) => total + num(value), 0);
  }

  function clockTime(date) {
    return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  }

  /** Unix milliseconds (a number, or a string in dead letters) as a Date, or null when it is not one. */
  function toDate(value) {
    if (value === null || value === undefined || value === '') return null;
    const date = new Date(Number(value));
    return Number.isNaN(date.getTime()) ? null : date;
  }

  /** Local `HH:MM:SS`, preceded by the date when it is not today. */
  function fmtTime(value) {
    const date = toDate(value);
    if (!date) return value === null || value === undefined || value === '' ? '—' : String(value);
    const now = new Date();
    const today = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth()
      && date.getDate() === now.getDate();
    if (today) return clockTime(date);
    return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${clockTime(date)}`;
  }

  function timeElement(value) {
    const date = toDate(value);
    return el('time', { datetime: date && date.toISOString(), title: date && date.toString(), text: fmtTime(value) });
  }

  function fmtRateLimit(limit) {
    if (!limit || typeof limit !== 'object') return 'none';
    return `${str(limit.per_minute)}/min, burst ${str(limit.burst)}, ${str(limit.scope)}`;
  }

  /** `{"invalid_signature": 3, "platform_disabled": 1}` → [4, ["invalid_signature 3", "platform_disabled 1"]]. */
  function refusedSummary(refused) {
    const reasons = Object.entries(objectOf(refused))
      .filter(([, count]) => num(count) > 0)
      .sort(([codeA, a], [codeB, b]) => b - a || codeA.localeCompare(codeB));
    return [sum(reasons.map(([, count]) => count)), reasons.map(([code, count]) => `${code} ${count}`)];
  }

  function platformMetrics(id) {
    return objectOf(own(data.metrics && data.metrics.platforms, id));
  }

  function historyPoints() {
    return arrayOf(data.history && data.history.points);
  }

  function historyInterval() {
    return num(data.history && data.history.interval_seconds) || 5;
  }

  /** One counter of one platform across the history points, oldest first. */
  function platformSeries(id, field) {
    return historyPoints().map((point) => num(objectOf(own(objectOf(point).platforms, id))[field]));
  }

  // ---------- API ----------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  /** Rejects calls of a session that has ended (signed out, or the token refused); nothing is shown for it. */
  class SessionEnded extends Error {
    constructor() {
      super('signed out');
    }
  }

  function storedToken() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /**
   * One API call; resolves to the parsed JSON body or rejects with an ApiError carrying the server's message.
   * A 401/403 ends the session (except for the sign-in check itself, `signOutOnDenied: false`).
   */
  async function api(method, path, { body, token = storedToken(), signOutOnDenied = true } = {}) {
    if (!token) throw new SessionEnded();
    const epoch = sessionEpoch;
    const headers = { Accept: 'application/json', Authorization: `Bearer ${token}` };
    const init = { method, headers, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    let payload;
    try {
      response = await fetch(path, init);
      payload = await readJson(response);
    } catch (error) {
      if (epoch !== sessionEpoch) throw new SessionEnded();
      throw new ApiError(0, 'network_error', `the server could not be reached (${error.message})`);
    }
    if (epoch !== sessionEpoch) throw new SessionEnded();
    if (response.ok) return payload;
    const message = typeof payload?.message === 'string' && payload.message ? payload.message : `HTTP ${response.status}`;
    if ((response.status === 401 || response.status === 403) && signOutOnDenied) {
      signOut(response.status === 401 ? INVALID_TOKEN : message);
      throw new SessionEnded();
    }
    throw new ApiError(response.status, str(payload?.error), message);
  }

  async function readJson(response) {
    const text = await response.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }

  /** Prefixes an API error's message with what was being read, so the banner says which read failed. */
  async function labelled(label, promise) {
    try {
      return await promise;
    } catch (error) {
      if (error instanceof ApiError) throw new ApiError(error.status, error.code, `${label}: ${error.message}`);
      throw error;
    }
  }

  /** Reads one endpoint for the refresh and stores the answer. */
  function read(label, path, store) {
    return labelled(label, api('GET', path).then(store));
  }

  // ---------- charts ----------

  /**
   * Polyline points for `values` inside `box`, scaled so `max` touches the top. The x axis is a fixed window of
   * HISTORY_SLOTS intervals with the newest value on the right edge, so a young history grows from the right
   * instead of stretching. No values: a flat line on the baseline.
   */
  function linePoints(values, max, box) {
    const bottom = box.y + box.height;
    if (values.length === 0) return [[box.x, bottom], [box.x + box.width, bottom]];
    const series = values.length === 1 ? [values[0], values[0]] : values; // one point alone draws nothing
    const slots = Math.max(series.length, HISTORY_SLOTS);
    const step = box.width / (slots - 1);
    const first = slots - series.length;
    return series.map((value, index) => [box.x + (first + index) * step, bottom - (Math.max(0, value) / max) * box.height]);
  }

  const pointsAttribute = (points) => points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');

  /** A small inline chart: one polyline per series, all scaled to the largest value of any of them. */
  function sparkline(seriesList, label) {
    const width = 100;
    const height = 28;
    const box = { x: 1, y: 2, width: width - 2, height: height - 4 };
    const max = Math.max(1, ...seriesList.flatMap((series) => series.values));
    const chart = svgEl('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label });
    chart.append(svgEl('title', { text: label }));
    for (const series of seriesList) {
      chart.append(svgEl('polyline', {
        class: `series series-${series.name}`, fill: 'none', points: pointsAttribute(linePoints(series.values, max, box)),
      }));
    }
    return chart;
  }

  function axisLabel(x, y, text, anchor) {
    return svgEl('text', { class: 'axis-label', x, y, 'text-anchor': anchor, text });
  }

  /** Children of svg#throughput: processed per interval across all platforms, with the scale's top labelled. */
  function throughputChart(points, values) {
    const plot = { x: 48, y: 12, width: 540, height: 124 };
    const baseline = plot.y + plot.height;
    const top = Math.max(1, ...values);
    const line = linePoints(values, top, plot);
    const area = [[line[0][0], baseline], ...line, [line[line.length - 1][0], baseline]];
    const children = [
      svgEl('line', { class: 'grid', x1: plot.x, y1: plot.y, x2: plot.x + plot.width, y2: plot.y }),
      svgEl('line', { class: 'axis', x1: plot.x, y1: baseline, x2: plot.x + plot.width, y2: baseline }),
      svgEl('polygon', { class: 'area-processed', points: pointsAttribute(area) }),
      svgEl('polyline', { class: 'series series-processed', fill: 'none', points: pointsAttribute(line) }),
      axisLabel(plot.x - 8, plot.y + 4, String(top), 'end'),
      axisLabel(plot.x - 8, baseline + 4, '0', 'end'),
    ];
    if (points.length > 0) {
      const right = plot.x + plot.width;
      children.push(axisLabel(right, baseline + 20, fmtTime(points[points.length - 1].at), 'end'));
      // The oldest point's time under it, unless it is so far right that it would run into the newest one's.
      if (line[0][0] < right - 150) children.push(axisLabel(line[0][0], baseline + 20, fmtTime(points[0].at), 'start'));
    } else {
      children.push(axisLabel(plot.x + plot.width / 2, plot.y + plot.height / 2, 'no data yet', 'middle'));
    }
    return children;
  }

  // ---------- session ----------

  function showSignIn(reason) {
    byId('app').hidden = true;
    const form = byId('signin');
    form.hidden = false;
    setText(byId('signin-error'), reason);
    form.elements.namedItem('token').focus();
  }

  async function onSignInSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const input = form.elements.namedItem('token');
    const submit = form.querySelector('button[type="submit"]');
    const token = input.value.trim();
    input.value = ''; // the token is kept in sessionStorage only, never in the page
    if (!token) {
      setText(byId('signin-error'), 'enter the admin token');
      return;
    }
    setText(byId('signin-error'), '');
    submit.disabled = true;
    try {
      await api('GET', PATHS.platforms, { token, signOutOnDenied: false });
      sessionStorage.setItem(TOKEN_KEY, token);
      startSession();
    } catch (error) {
      setText(byId('signin-error'), error.status === 401 ? INVALID_TOKEN : error.message);
      input.focus();
    } finally {
      submit.disabled = false;
    }
  }

  function startSession() {
    byId('signin').hidden = true;
    setText(byId('signin-error'), '');
    byId('app').hidden = false;
    showSection();
    poller = createPoller(refreshAll, REFRESH_INTERVAL_MS);
    poller.now();
  }

  /** Forgets the token and every piece of data; `reason` is shown under the sign-in form. */
  function signOut(reason = '') {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionEpoch += 1;
    if (poller) poller.stop();
    poller = null;
    closeConfirm();
    data = emptyData();
    dlq = emptyDeadLetterState();
    Object.assign(banner, { fetchError: '', actionError: '', actionErrorAt: 0 });
    clearAppView();
    showSignIn(reason);
  }

  function clearAppView() {
    renderedKeys = new WeakMap();
    for (const id of ['platforms-body', 'problems', 'queue-body', 'throughput', 'dlq-list', 'dlq-platform',
      'dlq-destination', 'refusals-platform', 'refusals-body', 'destinations-body']) {
      byId(id).replaceChildren();
    }
    for (const id of ['last-refresh', 'banner', 'dlq-count', 'dlq-page', 'dlq-status', 'refusals-note']) {
      byId(id).textContent = '';
    }
    for (const id of ['banner', 'problems-block', 'platforms-empty', 'dlq-empty', 'refusals-empty', 'destinations-empty']) {
      byId(id).hidden = true;
    }
    for (const stat of document.querySelectorAll('[data-stat]')) {
      stat.textContent = '—';
      stat.closest('.stat').classList.remove('alert');
    }
    for (const total of document.querySelectorAll('#queue tfoot td')) total.textContent = '';
  }

  // ---------- navigation ----------

  function currentSection() {
    const id = location.hash.slice(1);
    return SECTIONS.includes(id) ? id : 'platforms';
  }

  function showSection() {
    const current = currentSection();
    for (const id of SECTIONS) byId(id).hidden = id !== current;
    for (const link of document.querySelectorAll('nav a[href^="#"]')) {
      if (link.getAttribute('href') === `#${current}`) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    if (current === 'dlq' && poller) reloadDeadLetters({ force: true });
  }

  // ---------- refresh loop ----------

  /**
   * Runs `task` every `intervalMs` after the previous run has finished, so runs never overlap. `now()` runs it at
   * once, or right after the current run when one is in flight.
   */
  function createPoller(task, intervalMs) {
    let timer = null;
    let running = false;
    let again = false;
    let stopped = false;
    async function run() {
      timer = null;
      running = true;
      try {
        await task();
      } catch (error) {
        console.error('refresh failed', error);
      } finally {
        running = false;
        if (!stopped) {
          if (again) {
            again = false;
            run();
          } else {
            timer = setTimeout(run, intervalMs);
          }
        }
      }
    }
    return {
      now() {
        if (stopped) return;
        if (running) {
          again = true;
          return;
        }
        clearTimeout(timer);
        run();
      },
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  /** Re-reads every endpoint in parallel and re-renders in place; a failed read keeps its previous data. */
  async function refreshAll() {
    if (document.hidden) return; // paused in a background tab; visibilitychange resumes at once
    const refusalsFilter = byId('refusals-platform').value;
    const reads = [
      read('platforms', PATHS.platforms, (listing) => {
        data.platformsRead = true;
        data.platforms = arrayOf(listing?.platforms).filter((p) => p && typeof p.platform === 'string');
        data.problems = arrayOf(listing?.problems).filter((p) => p && typeof p === 'object');
      }),
      read('metrics', PATHS.metrics, (metrics) => { data.metrics = objectOf(metrics); }),
      read('queue', PATHS.stats, (stats) => { data.stats = objectOf(stats); }),
      read('history', PATHS.history, (history) => { data.history = objectOf(history); }),
      read('refusals', refusalsPath(refusalsFilter), (listing) => {
        // The filter changed while this was in flight: the run queued by the change brings the right list.
        if (refusalsFilter !== byId('refusals-platform').value) return;
        data.refusals = objectOf(listing);
        data.refusalsFilter = refusalsFilter;
      }),
    ];
    if (currentSection() === 'dlq') reads.push(labelled('dead letters', loadDeadLetters()));
    const outcomes = await Promise.allSettled(reads);
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason);
    if (failures.some((error) => error instanceof SessionEnded)) return;
    renderAll();
    for (const error of failures) if (!(error instanceof ApiError)) console.error(error);
    setFetchError(failures.map((error) => error.message).join(' · '));
    setText(byId('last-refresh'), `updated ${clockTime(new Date())}`);
  }

  function refusalsPath(platform) {
    const query = new URLSearchParams({ limit: String(REFUSALS_LIMIT) });
    if (platform) query.set('platform', platform);
    return `/api/v1/admin/refusals?${query}`;
  }

  /** Renders every section from `data`; one failing renderer must not leave the others stale. */
  function renderAll() {
    const renderers = [renderTotals, renderPlatforms, renderProblems, renderQueue, renderThroughput,
      renderDestinations, renderRefusalFilter, renderRefusals, renderDeadLetterSelectors, renderDeadLetterInfo];
    for (const render of renderers) {
      try {
        render();
      } catch (error) {
        console.error(`${render.name} failed`, error);
      }
    }
  }

  // ---------- banner ----------

  /** A refresh's read errors; an empty text (a fully successful refresh) also lets an old action error go. */
  function setFetchError(text) {
    banner.fetchError = text;
    if (!text && Date.now() - banner.actionErrorAt >= ACTION_ERROR_MIN_MS) banner.actionError = '';
    paintBanner();
  }

  function setActionError(text) {
    banner.actionError = text;
    banner.actionErrorAt = Date.now();
    paintBanner();
  }

  function clearActionError() {
    banner.actionError = '';
    paintBanner();
  }

  function paintBanner() {
    const node = byId('banner');
    const text = [banner.actionError, banner.fetchError].filter(Boolean).join(' · ');
    setText(node, text);
    node.hidden = text === '';
  }

  // ---------- rendering: header totals ----------

  function renderTotals() {
    const { metrics, stats } = data;
    const refused = metrics ? sum(Object.values(objectOf(metrics.platforms)).map((p) => refusedSummary(objectOf(p).refused)[0])) : null;
    setStat('received', metrics && num(metrics.received));
    setStat('accepted', metrics && num(metrics.accepted));
    setStat('refused', refused);
    setStat('pending', stats && num(stats.pending_count));
    setStat('dead_letter', stats && num(stats.dead_letter_count));
  }

  function setStat(name, value) {
    const node = document.querySelector(`[data-stat="${name}"]`);
    setText(node, value === null ? '—' : String(value));
    // The one total that calls for attention: something gave up and waits for an operator.
    if (name === 'dead_letter') node.closest('.stat').classList.toggle('alert', value > 0);
  }

  // ---------- rendering: platforms ----------

  function renderPlatforms() {
    syncChildren(byId('platforms-body'), 'data-platform', data.platforms, (p) => p.platform, createPlatformRow, updatePlatformRow);
    byId('platforms-empty').hidden = !data.platformsRead || data.platforms.length > 0;
    setText(byId('legend-interval'), `per ${historyInterval()} s, last 5 minutes`);
  }

  /** Layout class of a platform cell: counters right-aligned, the long free-text ones allowed to wrap. */
  const PLATFORM_CELL_CLASSES = { platform: 'platform-id', refused: 'num', last_error: 'wrap', rate_limit: 'narrow-wrap' };

  function createPlatformRow() {
    const row = el('tr');
    for (const column of PLATFORM_COLUMNS) {
      if (column === 'toggle') row.append(el('td', {}, el('button', { type: 'button', 'data-action': 'toggle' })));
      else if (column === 'chart') row.append(el('td', { class: 'chart-cell' }));
      else row.append(el('td', { 'data-field': column, class: PLATFORM_COUNTERS.includes(column) ? 'num' : PLATFORM_CELL_CLASSES[column] }));
    }
    return row;
  }

  function updatePlatformRow(row, platform) {
    const id = platform.platform;
    const enabled = platform.enabled === true;
    const counters = platformMetrics(id);
    row.setAttribute('data-enabled', String(enabled));
    setText(cell(row, 'platform'), id);
    renderOnce(cell(row, 'enabled'), String(enabled), () => [enabled ? badge('enabled', 'ok') : badge('disabled', 'off')]);
    setText(cell(row, 'adapter'), [str(platform.adapter), str(platform.adapter_version)].filter(Boolean).join(' '));
    setText(cell(row, 'scheme'), str(platform.signature_scheme));
    setText(cell(row, 'rate_limit'), fmtRateLimit(platform.rate_limit));
    setText(cell(row, 'source_file'), str(platform.source_file));
    const lastError = cell(row, 'last_error');
    setText(lastError, platform.last_error ? str(platform.last_error) : '—');
    lastError.classList.toggle('error-text', Boolean(platform.last_error));
    for (const field of PLATFORM_COUNTERS) setText(cell(row, field), String(num(counters[field])));
    const [refusedTotal, reasons] = refusedSummary(counters.refused);
    renderOnce(cell(row, 'refused'), JSON.stringify([refusedTotal, reasons]), () => refusedCell(refusedTotal, reasons));
    renderPlatformChart(row.querySelector('.chart-cell'), id);
    const toggle = row.querySelector('button[data-action="toggle"]');
    setText(toggle, enabled ? 'Disable' : 'Enable');
    toggle.setAttribute('aria-label', `${enabled ? 'Disable' : 'Enable'} ${id}`);
  }

  /**
   * The refused cell: the total, then the reasons on a line of their own. Its textContent reads exactly
   * "4 (invalid_signature 3, platform_disabled 1)"; each reason is its own unbreakable span so a narrow column
   * wraps between reasons, never inside one.
   */
  function refusedCell(total, reasons) {
    if (reasons.length === 0) return [String(total)];
    const breakdown = el('span', { class: 'breakdown' }, ' ');
    reasons.forEach((reason, index) => {
      const text = `${index === 0 ? '(' : ''}${reason}${index === reasons.length - 1 ? ')' : ','}`;
      breakdown.append(...(index === 0 ? [] : [' ']), el('span', { class: 'reason', text }));
    });
    return [String(total), breakdown];
  }

  function renderPlatformChart(chartCell, id) {
    const series = ['received', 'accepted', 'refused'].map((name) => ({ name, values: platformSeries(id, name) }));
    const last = (values) => (values.length ? values[values.length - 1] : 0);
    const label = `${id}, last ${historyInterval()} s: received ${last(series[0].values)}, `
      + `accepted ${last(series[1].values)}, refused ${last(series[2].values)}`;
    renderOnce(chartCell, JSON.stringify([label, series]), () => [sparkline(series, label)]);
  }

  function renderProblems() {
    const problems = data.problems;
    renderOnce(byId('problems'), JSON.stringify(problems), () => problems.map(problemItem));
    byId('problems-block').hidden = problems.length === 0;
  }

  function problemItem(problem) {
    const where = [
      problem.line !== null && problem.line !== undefined ? `line ${problem.line}` : null,
      problem.key !== null && problem.key !== undefined ? `key ${problem.key}` : null,
    ].filter(Boolean).join(', ');
    return el('li', { 'data-problem-file': str(problem.file) },
      el('span', { class: 'file', text: str(problem.file) }),
      where && ` (${where})`,
      `: ${str(problem.message)}`);
  }

  // ---------- rendering: queue ----------

  /** Configured platforms first, then any the queue still knows about (a removed platform's leftovers). */
  function queuePlatformIds() {
    const ids = data.platforms.map((p) => p.platform);
    for (const id of Object.keys(objectOf(data.stats && data.stats.platforms))) if (!ids.includes(id)) ids.push(id);
    return ids;
  }

  function renderQueue() {
    const stats = data.stats;
    if (!stats) return; // not read yet, or the queue is unavailable: keep what is on screen
    const rows = queuePlatformIds().map((id) => ({ id, counts: objectOf(own(stats.platforms, id)) }));
    syncChildren(byId('queue-body'), 'data-queue', rows, (row) => row.id, createQueueRow, (row, item) => {
      setText(row.querySelector('th'), item.id);
      fillQueueCells(row, item.counts);
    });
    fillQueueCells(document.querySelector('#queue tfoot tr'), stats);
  }

  function createQueueRow() {
    return el('tr', {}, el('th', { scope: 'row' }),
      ...QUEUE_FIELDS.map(([field]) => el('td', { 'data-field': field, class: 'num' })));
  }

  function fillQueueCells(row, counts) {
    for (const [field, key] of QUEUE_FIELDS) setText(cell(row, field), String(num(counts[key])));
  }

  function renderThroughput() {
    const points = historyPoints();
    const values = points.map((point) => sum(Object.values(objectOf(objectOf(point).platforms)).map((p) => objectOf(p).processed)));
    const interval = historyInterval();
    const chart = byId('throughput');
    renderOnce(chart, JSON.stringify([values, points.map((p) => objectOf(p).at)]), () => throughputChart(points, values));
    const latest = values.length ? values[values.length - 1] : 0;
    chart.setAttribute('aria-label', `Processed per ${interval} s, all platforms: latest ${latest}, highest ${Math.max(0, ...values)}`);
    setText(byId('throughput-caption'), `Processed per ${interval} s interval, all platforms, last 5 minutes`);
  }

  // ---------- rendering: destinations ----------

  /** Every platform/destination pair the config, the metrics or the queue knows, configured ones first. */
  function destinationPairs() {
    const pairs = new Map();
    const add = (platform, name) => {
      const key = `${platform}/${name}`;
      if (!pairs.has(key)) pairs.set(key, { key, platform, name });
    };
    for (const p of data.platforms) for (const name of arrayOf(p.destinations)) add(p.platform, str(name));
    for (const [platform, byName] of Object.entries(objectOf(data.metrics && data.metrics.destinations))) {
      for (const name of Object.keys(objectOf(byName))) add(platform, name);
    }
    for (const [platform, counts] of Object.entries(objectOf(data.stats && data.stats.platforms))) {
      for (const name of Object.keys(objectOf(objectOf(counts).destinations))) add(platform, name);
    }
    return [...pairs.values()];
  }

  function renderDestinations() {
    const pairs = destinationPairs();
    syncChildren(byId('destinations-body'), 'data-destination', pairs, (pair) => pair.key, createDestinationRow, updateDestinationRow);
    byId('destinations-empty').hidden = pairs.length > 0 || !data.platformsRead;
  }

  function createDestinationRow() {
    const row = el('tr');
    for (const field of ['platform', 'destination', 'circuit']) row.append(el('td', { 'data-field': field }));
    for (const field of ['pending', 'processing', 'dead_letter', 'delivered', 'retried', 'dead_lettered']) {
      row.append(el('td', { 'data-field': field, class: 'num' }));
    }
    return row;
  }

  function updateDestinationRow(row, pair) {
    const delivery = objectOf(own(own(data.metrics && data.metrics.destinations, pair.platform), pair.name));
    // No metrics yet means nothing was sent, so the breaker has not tripped: closed.
    const circuit = Object.prototype.hasOwnProperty.call(CIRCUIT_TONES, delivery.circuit) ? delivery.circuit : 'closed';
    row.setAttribute('data-circuit', circuit);
    setText(cell(row, 'platform'), pair.platform);
    setText(cell(row, 'destination'), pair.name);
    renderOnce(cell(row, 'circuit'), circuit, () => [badge(circuit, CIRCUIT_TONES[circuit])]);
    const platformCounts = own(data.stats && data.stats.platforms, pair.platform);
    const queued = own(objectOf(platformCounts).destinations, pair.name);
    for (const [field, key] of QUEUE_FIELDS.slice(0, 3)) {
      setText(cell(row, field), data.stats ? String(num(objectOf(queued)[key])) : '—');
    }
    for (const field of ['delivered', 'retried', 'dead_lettered']) setText(cell(row, field), String(num(delivery[field])));
  }

  // ---------- rendering: refusals ----------

  function renderRefusalFilter() {
    const select = byId('refusals-platform');
    const before = select.value;
    fillSelect(select, [['', 'All platforms'], ...data.platforms.map((p) => [p.platform, p.platform])], before);
    if (select.value !== before && poller) poller.now(); // the filtered platform is gone: read them all
  }

  function renderRefusals() {
    const listing = data.refusals;
    if (!listing) return;
    const refusals = arrayOf(listing.refusals).filter((r) => r && typeof r === 'object');
    renderOnce(byId('refusals-body'), JSON.stringify([data.refusalsFilter, refusals]), () => refusals.map(refusalRow));
    byId('refusals-empty').hidden = refusals.length > 0;
    const capacity = num(listing.capacity);
    setText(byId('refusals-note'), `${plural(refusals.length, 'refusal')}, newest first`
      + (capacity ? ` (the server keeps the last ${capacity})` : ''));
  }

  function refusalRow(refusal) {
    return el('tr', { 'data-refusal': true, 'data-platform': str(refusal.platform), 'data-status': str(refusal.status), 'data-code': str(refusal.code) },
      el('td', { 'data-field': 'at' }, timeElement(refusal.at)),
      el('td', { 'data-field': 'platform', text: str(refusal.platform) }),
      // A run of identical refusals (same answer to the same client) is one entry; since first_at.
      el('td', {
        'data-field': 'count', class: 'num',
        title: num(refusal.count) > 1 ? `since ${fmtTime(refusal.first_at)}` : null, text: String(num(refusal.count) || 1),
      }),
      el('td', { 'data-field': 'status', class: 'num', text: str(refusal.status) }),
      el('td', { 'data-field': 'code', class: 'mono', text: str(refusal.code) }),
      el('td', { 'data-field': 'message', class: 'wrap', text: str(refusal.message) }),
      el('td', { 'data-field': 'request_id', class: 'mono', text: str(refusal.request_id) }),
      el('td', { 'data-field': 'remote_address', class: 'mono', text: refusal.remote_address ? str(refusal.remote_address) : '—' }));
  }

  // ---------- dead letters ----------

  /** The queue chosen in the two selects: a platform's own queue (destination "") or one destination's. */
  function selectedQueue() {
    const platform = byId('dlq-platform').value;
    return platform ? { platform, destination: byId('dlq-destination').value } : null;
  }

  const queueKey = (queue) => (queue ? JSON.stringify([queue.platform, queue.destination]) : '');

  function describeQueue(queue) {
    return queue.destination ? `${queue.platform} → ${queue.destination}` : `${queue.platform} (platform queue)`;
  }

  function deadLetterPath(queue, suffix = '', params = {}) {
    const query = new URLSearchParams(params);
    if (queue.destination) query.set('destination', queue.destination);
    const search = query.toString();
    return `/api/v1/webhooks/dlq/${encodeURIComponent(queue.platform)}${suffix}${search ? `?${search}` : ''}`;
  }

  /** The dead-letter level of the selected queue, from the last stats read (null when unknown). */
  function deadLetterCount(queue) {
    if (!queue || !data.stats) return null;
    const counts = objectOf(own(data.stats.platforms, queue.platform));
    const level = queue.destination ? objectOf(own(objectOf(counts.destinations), queue.destination)) : counts;
    return num(level.dead_letter_count);
  }

  function renderDeadLetterSelectors() {
    const before = queueKey(selectedQueue());
    fillSelect(byId('dlq-platform'), data.platforms.map((p) => [p.platform, p.platform]), byId('dlq-platform').value);
    fillDeadLetterDestinations(byId('dlq-destination').value);
    if (queueKey(selectedQueue()) !== before) onQueueChanged();
  }

  function fillDeadLetterDestinations(preferred) {
    const platform = data.platforms.find((p) => p.platform === byId('dlq-platform').value);
    const destinations = arrayOf(platform && platform.destinations).map(str);
    fillSelect(byId('dlq-destination'), [['', 'platform queue'], ...destinations.map((name) => [name, name])], preferred);
  }

  /** Another queue was chosen: start again from its newest page with nothing selected. */
  function onQueueChanged() {
    Object.assign(dlq, { after: null, next: null, page: 1, signature: null });
    byId('dlq-list').replaceChildren();
    byId('dlq-empty').hidden = true;
    setDeadLetterStatus('', null);
    renderDeadLetterInfo();
    if (currentSection() === 'dlq' && poller) reloadDeadLetters({ force: true });
  }

  /**
   * Reads the current page. The list is re-rendered only when its entries changed (or `force`), so the user's
   * selection and open payloads are not rebuilt every two seconds.
   */
  async function loadDeadLetters({ force = false } = {}) {
    const queue = selectedQueue();
    if (!queue) return;
    const key = queueKey(queue);
    const after = dlq.after;
    const seq = ++dlq.requestSeq;
    const params = { count: String(DLQ_PAGE_SIZE), order: 'newest' };
    if (after) params.after = after;
    const page = await api('GET', deadLetterPath(queue, '', params));
    // Drop the answer when the user moved to another queue or page meanwhile, or a newer answer is shown.
    if (seq < dlq.appliedSeq || key !== queueKey(selectedQueue()) || after !== dlq.after) return;
    dlq.appliedSeq = seq;
    const entries = arrayOf(page?.entries).filter((entry) => entry && typeof entry.id === 'string');
    dlq.next = typeof page?.next === 'string' && page.next ? page.next : null;
    const signature = JSON.stringify([key, after, entries, dlq.next]);
    if (force || signature !== dlq.signature) {
      dlq.signature = signature;
      renderDeadLetters(entries);
    }
    renderDeadLetterInfo();
  }

  /** loadDeadLetters() outside the refresh loop (paging, a new queue, after an action): errors go to the banner. */
  async function reloadDeadLetters(options) {
    try {
      await loadDeadLetters(options);
    } catch (error) {
      if (!(error instanceof SessionEnded)) setFetchError(`dead letters: ${error.message}`);
    }
  }

  function renderDeadLetters(entries) {
    syncChildren(byId('dlq-list'), 'data-dlq-id', entries, (entry) => entry.id,
      () => el('li', { class: 'dlq-entry' }), fillDeadLetterItem);
    byId('dlq-empty').hidden = entries.length > 0;
  }

  /** (Re)builds one entry when its data changed, carrying over its checkbox and open payload. */
  function fillDeadLetterItem(item, entry) {
    const signature = JSON.stringify(entry);
    if (renderedKeys.get(item) === signature) return;
    const checked = Boolean(item.querySelector('input[data-action="select"]')?.checked);
    const open = Boolean(item.querySelector('details')?.open);
    renderedKeys.set(item, signature);
    item.replaceChildren(...deadLetterContent(entry, checked, open));
  }

  function deadLetterContent(entry, checked, open) {
    const checkbox = el('input', { type: 'checkbox', 'data-action': 'select', 'aria-label': `Select ${str(entry.id)}` });
    checkbox.checked = checked;
    const attempts = Number(entry.attempts);
    const head = el('div', { class: 'dlq-head' },
      el('label', { class: 'select' }, checkbox),
      el('span', { class: 'muted' }, 'received ', timeElement(entry.received_at)),
      el('span', { class: 'dlq-type', text: str(entry.event_type || entry.source_event_type) || 'unknown event type' }),
      entry.attempts !== undefined && el('span', { class: 'muted', text: Number.isFinite(attempts) ? plural(attempts, 'attempt') : `attempts ${str(entry.attempts)}` }),
      el('button', { type: 'button', 'data-action': 'replay', text: 'Replay' }));
    const meta = [['id', entry.id], ['event', entry.event_id], ['source type', entry.source_event_type],
      ['original', entry.original_id], ['destination', entry.destination], ['webhook', entry.webhook_id]]
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .map(([label, value]) => `${label} ${str(value)}`);
    if (entry.failed_at) meta.push(`failed ${fmtTime(entry.failed_at)}`);
    const details = el('details', {}, el('summary', { text: 'Payload' }), el('pre', { text: payloadPreview(entry) }));
    details.open = open;
    return [head, el('p', { class: 'dlq-error', text: str(entry.error) || 'no error recorded' }),
      el('p', { class: 'dlq-meta', text: meta.join(' · ') }), details];
  }

  /** The envelope (platform queue) or body (destination queue), pretty-printed and cut at ~4 KB. */
  function payloadPreview(entry) {
    const payload = own(entry, 'envelope') !== undefined ? entry.envelope : own(entry, 'body');
    if (payload === undefined) return '(no payload)';
    let text;
    if (typeof payload === 'string') {
      try {
        text = JSON.stringify(JSON.parse(payload), null, 2);
      } catch {
        text = payload; // not JSON: shown as it is
      }
    } else {
      text = JSON.stringify(payload, null, 2);
    }
    if (text.length <= PAYLOAD_PREVIEW_CHARS) return text;
    return `${text.slice(0, PAYLOAD_PREVIEW_CHARS)}\n… cut here (${text.length} characters in all)`;
  }

  /** The count, the page and the state of the paging buttons. */
  function renderDeadLetterInfo() {
    const count = deadLetterCount(selectedQueue());
    setText(byId('dlq-count'), count === null ? '' : `${plural(count, 'dead letter')} in this queue`);
    setText(byId('dlq-page'), dlq.after ? `page ${dlq.page}` : 'newest first');
    document.querySelector('button[data-action="older"]').disabled = !dlq.next;
    document.querySelector('button[data-action="newest"]').disabled = dlq.after === null;
  }

  function setDeadLetterStatus(text, tone) {
    const status = byId('dlq-status');
    setText(status, text);
    status.classList.toggle('ok', tone === 'ok');
    status.classList.toggle('error', tone === 'error');
  }

  function selectedDeadLetterIds() {
    return [...byId('dlq-list').querySelectorAll('input[data-action="select"]:checked')]
      .map((checkbox) => checkbox.closest('[data-dlq-id]').getAttribute('data-dlq-id'));
  }

  function showPage(after, page) {
    Object.assign(dlq, { after, page, signature: null });
    renderDeadLetterInfo();
    reloadDeadLetters({ force: true });
  }

  // ---------- actions ----------

  /** Asks through dialog#confirm; resolves true only when the user confirms. */
  function confirmAction(text) {
    const dialog = byId('confirm');
    if (dialog.open) return Promise.resolve(false);
    setText(byId('confirm-text'), text);
    dialog.returnValue = ''; // Escape closes without a value: that must read as "cancel"
    dialog.showModal();
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    });
  }

  function closeConfirm() {
    const dialog = byId('confirm');
    if (dialog.open) dialog.close('cancel');
  }

  /** Runs one dead-letter action, shows its outcome in #dlq-status, then reloads the list and the counters. */
  async function runDeadLetterAction(action) {
    setDeadLetterStatus('working…', null);
    try {
      setDeadLetterStatus(await action(), 'ok');
      clearActionError();
    } catch (error) {
      if (error instanceof SessionEnded) return;
      setDeadLetterStatus(`failed: ${error.message}`, 'error');
      setActionError(`dead letters: ${error.message}`);
    }
    await reloadDeadLetters({ force: true });
    if (poller) poller.now();
  }

  function replayOutcome(result) {
    const missing = arrayOf(result?.missing);
    return `replayed ${num(result?.replayed)}` + (missing.length ? ` (${missing.length} no longer there)` : '');
  }

  async function replayOne(button) {
    const queue = selectedQueue();
    const id = button.closest('[data-dlq-id]').getAttribute('data-dlq-id');
    if (!queue) return;
    button.disabled = true;
    try {
      await runDeadLetterAction(async () => replayOutcome(await api('POST', deadLetterPath(queue, '/replay'), { body: { ids: [id] } })));
    } finally {
      button.disabled = false; // the entry stays when the replay failed
    }
  }

  async function replayAll() {
    const queue = selectedQueue();
    if (!queue) return;
    const count = deadLetterCount(queue);
    const what = count === null ? 'every dead letter' : `all ${plural(count, 'dead letter')}`;
    if (!(await confirmAction(`Replay ${what} of ${describeQueue(queue)}? They go back to the queue to be processed again.`))) return;
    // No body: the server replays the whole queue.
    await runDeadLetterAction(async () => replayOutcome(await api('POST', deadLetterPath(queue, '/replay'))));
  }

  async function purgeSelected() {
    const queue = selectedQueue();
    if (!queue) return;
    const ids = selectedDeadLetterIds();
    if (ids.length === 0) {
      setDeadLetterStatus('select the entries to purge first', 'error');
      return;
    }
    if (!(await confirmAction(`Purge ${plural(ids.length, 'dead letter')} from ${describeQueue(queue)}? This cannot be undone.`))) return;
    await runDeadLetterAction(async () => `purged ${num((await api('DELETE', deadLetterPath(queue), { body: { ids } }))?.purged)}`);
  }

  async function togglePlatform(button) {
    const row = button.closest('tr[data-platform]');
    const id = row.getAttribute('data-platform');
    const enable = row.getAttribute('data-enabled') !== 'true';
    button.disabled = true;
    try {
      const result = await api('POST', `/api/v1/admin/platforms/${encodeURIComponent(id)}/enabled`, { body: { enabled: enable } });
      clearActionError();
      // Show the new state at once; the refresh that follows confirms it.
      const platform = data.platforms.find((p) => p.platform === id);
      if (platform && typeof result?.enabled === 'boolean') {
        platform.enabled = result.enabled;
        renderPlatforms();
      }
      if (poller) poller.now();
    } catch (error) {
      if (!(error instanceof SessionEnded)) setActionError(`${enable ? 'enable' : 'disable'} ${id}: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  // ---------- wiring ----------

  /** Calls `handler(button)` for clicks on `button[data-action=<name>]` inside `root`. */
  function onAction(root, handlers) {
    root.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action]');
      if (!button || !root.contains(button)) return;
      const handler = handlers[button.getAttribute('data-action')];
      if (handler) handler(button);
    });
  }

  function wire() {
    byId('signin').addEventListener('submit', onSignInSubmit);
    onAction(document.querySelector('.topbar'), { signout: () => signOut('') });
    onAction(byId('platforms-body'), { toggle: togglePlatform });
    onAction(byId('dlq'), {
      replay: replayOne,
      'replay-all': replayAll,
      'purge-selected': purgeSelected,
      older: () => { if (dlq.next) showPage(dlq.next, dlq.page + 1); },
      newest: () => showPage(null, 1),
    });
    onAction(byId('confirm'), {
      confirm: () => byId('confirm').close('confirm'),
      cancel: () => byId('confirm').close('cancel'),
    });
    byId('dlq-platform').addEventListener('change', () => {
      fillDeadLetterDestinations('');
      onQueueChanged();
    });
    byId('dlq-destination').addEventListener('change', onQueueChanged);
    byId('refusals-platform').addEventListener('change', () => { if (poller) poller.now(); });
    window.addEventListener('hashchange', () => {
      showSection();
      window.scrollTo(0, 0); // keep the header and totals in view rather than jumping to the section
    });
    document.addEventListener('visibilitychange', () => { if (!document.hidden && poller) poller.now(); });
  }

  wire();
  if (storedToken()) startSession();
  else showSignIn('');
})();
