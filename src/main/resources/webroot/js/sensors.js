// The sensor panel: one card per sensor with its current value and a uPlot chart of the last
// two minutes. Readings come from the page's EventSource (sensors.*); when a sensor first shows
// up, its recent history (GET /api/channels/sensors.<id>/history) fills the chart at once.

import { h, fetchJson, formatTimeSeconds } from './util.js';

const WINDOW_S = 120;
const STALE_MS = 5000;
const LABELS = { co2: 'CO₂' };
const axisTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

function label(kind) {
  if (!kind) return 'Sensor';
  return LABELS[kind] || kind.charAt(0).toUpperCase() + kind.slice(1);
}

export class SensorPanel {
  /**
   * @param {HTMLElement} grid the container of the cards
   * @param {HTMLElement} empty the "waiting" placeholder
   * @param {number} historySize the server's history.size, the most the history API returns
   */
  constructor(grid, empty, historySize) {
    this.grid = grid;
    this.empty = empty;
    this.historySize = Math.max(1, Math.min(historySize || 100, 1000));
    this.sensors = new Map();
    this.frame = 0;
    this.uPlot = window.uPlot;
    if (!this.uPlot) {
      empty.textContent = 'The chart library (vendor/uPlot.iife.min.js) did not load: showing values only.';
    }
    this.resizer = new ResizeObserver(() => this.resize());
    this.resizer.observe(grid);
    setInterval(() => this.markStale(), 1000);
  }

  /** A sensors.* envelope. */
  onEnvelope(env) {
    if (env.type !== 'reading' || !env.data || typeof env.data.sensor !== 'string') return;
    const d = env.data;
    const value = Number(d.value);
    if (!Number.isFinite(value)) return;
    let s = this.sensors.get(d.sensor);
    if (!s) s = this.create(d);
    s.kind = d.kind ?? s.kind;
    s.unit = d.unit ?? s.unit;
    s.min = Number.isFinite(d.min) ? d.min : s.min;
    s.max = Number.isFinite(d.max) ? d.max : s.max;
    s.node = d.node ?? s.node;
    const x = env.ts / 1000;
    if (s.xs.length && x < s.xs[s.xs.length - 1]) return; // older than what is shown: nothing to add
    s.xs.push(x);
    s.ys.push(value);
    s.value = value;
    s.lastTs = env.ts;
    s.readings++;
    s.dirty = true;
    if (s.xs.length > 4000) this.trim(s); // a hidden tab gets no animation frames
    this.schedule();
  }

  create(d) {
    const id = d.sensor;
    const titleId = `sensor-${id.replace(/[^A-Za-z0-9_-]/g, '_')}-title`;
    const s = {
      id, kind: d.kind, unit: d.unit, min: d.min, max: d.max, node: d.node,
      xs: [], ys: [], value: NaN, lastTs: 0, readings: 0, dirty: true, chart: null, stale: false,
    };
    s.nameEl = h('h3', { class: 'sensor-name', id: titleId, text: label(d.kind) });
    s.valueEl = h('span', { class: 'sensor-value', text: '–' });
    s.unitEl = h('span', { class: 'sensor-unit', text: d.unit || '' });
    s.gaugeEl = h('span');
    s.rangeEl = h('span', { class: 'sensor-range' });
    s.seenEl = h('span', { class: 'sensor-seen' });
    s.chartEl = h('div', { class: 'chart', role: 'img', 'aria-label': `${label(d.kind)} ${id}, last 2 minutes` });
    s.card = h('article', { class: 'sensor', 'aria-labelledby': titleId, dataset: { sensor: id, kind: d.kind || 'other', readings: '0' } },
      h('div', { class: 'sensor-head' }, s.nameEl, h('span', { class: 'sensor-id', text: id })),
      h('p', { class: 'sensor-reading' }, s.valueEl, s.unitEl),
      h('div', { class: 'gauge', 'aria-hidden': 'true' }, s.gaugeEl),
      s.chartEl,
      h('div', { class: 'sensor-foot' }, s.rangeEl, s.seenEl));
    this.sensors.set(id, s);
    this.empty.hidden = true;
    const ordered = [...this.sensors.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const next = ordered[ordered.indexOf(id) + 1];
    this.grid.insertBefore(s.card, next ? this.sensors.get(next).card : null);
    this.prefill(s);
    return s;
  }

  /** Fills the chart with what happened before the page opened. */
  async prefill(s) {
    let res;
    try {
      res = await fetchJson(`/api/channels/${encodeURIComponent('sensors.' + s.id)}/history?limit=${this.historySize}`);
    } catch {
      return; // live data keeps coming; the chart just starts empty
    }
    const first = s.xs.length ? s.xs[0] : Infinity;
    const xs = [];
    const ys = [];
    for (const env of res.messages || []) {
      const v = Number(env?.data?.value);
      const x = env.ts / 1000;
      if (env.type === 'reading' && Number.isFinite(v) && x < first && (!xs.length || x > xs[xs.length - 1])) {
        xs.push(x);
        ys.push(v);
      }
    }
    if (xs.length) {
      s.xs = xs.concat(s.xs);
      s.ys = ys.concat(s.ys);
      if (!s.lastTs) {
        s.value = ys[ys.length - 1];
        s.lastTs = xs[xs.length - 1] * 1000;
      }
      s.dirty = true;
      this.schedule();
    }
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    for (const s of this.sensors.values()) {
      if (!s.dirty) continue;
      s.dirty = false;
      this.trim(s);
      this.render(s);
    }
  }

  trim(s) {
    if (!s.xs.length) return;
    const from = s.xs[s.xs.length - 1] - WINDOW_S - 5;
    let i = 0;
    while (i < s.xs.length && s.xs[i] < from) i++;
    if (i > 0) {
      s.xs = s.xs.slice(i);
      s.ys = s.ys.slice(i);
    }
  }

  render(s) {
    s.nameEl.textContent = label(s.kind);
    s.unitEl.textContent = s.unit || '';
    s.valueEl.textContent = Number.isFinite(s.value) ? formatValue(s.value, s.min, s.max) : '–';
    if (Number.isFinite(s.min) && Number.isFinite(s.max) && s.max > s.min && Number.isFinite(s.value)) {
      const pct = Math.max(0, Math.min(100, ((s.value - s.min) / (s.max - s.min)) * 100));
      s.gaugeEl.style.width = pct.toFixed(1) + '%';
      s.rangeEl.textContent = `range ${s.min}–${s.max} ${s.unit || ''}`.trim();
    }
    s.seenEl.textContent = s.lastTs ? `${s.node ? s.node + ' · ' : ''}${formatTimeSeconds(s.lastTs)}` : '';
    s.card.dataset.readings = String(s.readings);
    s.card.dataset.value = Number.isFinite(s.value) ? String(s.value) : '';
    this.setStale(s, false);
    if (!this.uPlot) return;
    if (!s.chart) {
      if (s.xs.length) s.chart = this.makeChart(s);
    } else {
      s.chart.setData([s.xs, s.ys]);
    }
  }

  makeChart(s) {
    const style = getComputedStyle(s.card);
    const color = style.getPropertyValue('--k').trim() || '#4f46e5';
    const axis = style.getPropertyValue('--chart-axis').trim() || '#888';
    const grid = style.getPropertyValue('--chart-grid').trim() || 'rgba(128,128,128,.1)';
    const font = '11px system-ui, sans-serif';
    const width = Math.max(120, Math.floor(s.chartEl.clientWidth));
    const opts = {
      width,
      height: 110,
      legend: { show: false },
      cursor: { y: false, drag: { x: false, y: false }, points: { size: 6 } },
      scales: {
        // the last 2 minutes; while there is less data than that, the span of what there is
        x: { time: true, range: (u, min, max) => [Math.min(Math.max(min ?? max, max - WINDOW_S), max - 10), max] },
        y: {
          range: (u, min, max) => {
            if (min == null || max == null) return [s.min ?? 0, s.max ?? 1];
            const full = Number.isFinite(s.max - s.min) ? s.max - s.min : Math.abs(max) || 1;
            const span = Math.max(max - min, full * 0.02);
            const mid = (max + min) / 2;
            return [mid - span * 0.65, mid + span * 0.65];
          },
        },
      },
      axes: [
        {
          stroke: axis, font, size: 24, gap: 3, ticks: { show: false }, grid: { stroke: grid, width: 1 }, space: 70,
          values: (u, vals) => vals.map((v) => axisTime.format(new Date(v * 1000))),
        },
        {
          stroke: axis, font, size: 46, gap: 4, ticks: { show: false }, grid: { stroke: grid, width: 1 }, space: 28,
          values: (u, vals) => vals.map((v) => formatAxis(v, u.scales.y.max - u.scales.y.min)),
        },
      ],
      series: [
        {},
        {
          label: s.kind,
          stroke: color,
          width: 2,
          points: { show: false },
          fill: (u) => {
            const g = u.ctx.createLinearGradient(0, u.bbox.top, 0, u.bbox.top + u.bbox.height);
            g.addColorStop(0, withAlpha(color, 0.28));
            g.addColorStop(1, withAlpha(color, 0));
            return g;
          },
        },
      ],
    };
    return new this.uPlot(opts, [s.xs, s.ys], s.chartEl);
  }

  resize() {
    for (const s of this.sensors.values()) {
      if (s.chart) {
        const width = Math.max(120, Math.floor(s.chartEl.clientWidth));
        if (width !== s.chart.width) s.chart.setSize({ width, height: 110 });
      }
    }
  }

  /** The colours come from CSS: rebuild the charts when the theme changes. */
  themeChanged() {
    for (const s of this.sensors.values()) {
      if (s.chart) {
        s.chart.destroy();
        s.chart = null;
        s.dirty = true;
      }
    }
    this.schedule();
  }

  markStale() {
    const now = Date.now();
    for (const s of this.sensors.values()) {
      this.setStale(s, s.lastTs > 0 && now - s.lastTs > STALE_MS);
    }
  }

  setStale(s, stale) {
    if (s.stale !== stale) {
      s.stale = stale;
      s.card.classList.toggle('stale', stale);
    }
  }
}

function formatValue(v, min, max) {
  const span = Number.isFinite(max - min) ? max - min : Math.abs(v);
  const decimals = span >= 500 ? 0 : 1;
  return v.toLocaleString(undefined, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function formatAxis(v, span) {
  const decimals = span >= 20 ? 0 : span >= 2 ? 1 : 2;
  return v.toLocaleString(undefined, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** '#rrggbb' (or anything else, returned unchanged) with an alpha channel. */
function withAlpha(color, alpha) {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
