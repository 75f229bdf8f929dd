// Small SVG charts built from numbers. Each is a role="img" with a title and a short
// description; the page puts the same numbers in a table beside it for screen readers.
// Series are told apart by shape and position as well as colour, and a legend names them.

import { h, svg } from './dom.js';

let chartCount = 0;

function frame(title, description, width, height) {
  chartCount += 1;
  const titleId = `chart-title-${chartCount}`;
  const descId = `chart-desc-${chartCount}`;
  const root = svg('svg', {
    class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': titleId, 'aria-describedby': descId, focusable: 'false',
  }, svg('title', { id: titleId }, title), svg('desc', { id: descId }, description));
  return root;
}

export function legend(series) {
  return h('ul', { class: 'legend' }, series.map((s) => h('li', {},
    svg('svg', { class: 'swatch', viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' },
      s.marker === 'square'
        ? svg('rect', { x: '3', y: '3', width: '10', height: '10', class: s.className })
        : s.marker === 'circle'
          ? svg('circle', { cx: '8', cy: '8', r: '5', class: s.className })
          : svg('rect', { x: '0', y: '2', width: '16', height: '12', class: s.className })),
    s.name)));
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

const PAD = { left: 48, right: 28, top: 12, bottom: 40 };

function yAxis(root, maxValue, width, height, format) {
  const plotH = height - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i += 1) {
    const v = (maxValue * i) / 4;
    const y = PAD.top + plotH - (plotH * i) / 4;
    root.append(svg('line', { x1: PAD.left, x2: width - PAD.right, y1: y, y2: y, class: 'grid' }));
    root.append(svg('text', { x: PAD.left - 6, y: y + 4, class: 'axis-label', 'text-anchor': 'end' }, format(v)));
  }
}

function xLabels(root, labels, xOf, height) {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  labels.forEach((label, i) => {
    if (i % every !== 0 && i !== labels.length - 1) return;
    root.append(svg('text', { x: xOf(i), y: height - PAD.bottom + 16, class: 'axis-label', 'text-anchor': 'middle' }, label));
  });
}

// Bars per label, each stacked from the series' values (bottom first).
export function stackedBars({ title, description, labels, series, width = 640, height = 240 }) {
  const root = frame(title, description, width, height);
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (Number(s.values[i]) || 0), 0));
  const maxValue = niceMax(Math.max(...totals, 1));
  yAxis(root, maxValue, width, height, (v) => String(Math.round(v)));
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, labels.length);
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const xOf = (i) => PAD.left + slot * i + slot / 2;
  labels.forEach((_, i) => {
    let base = 0;
    for (const s of series) {
      const v = Number(s.values[i]) || 0;
      if (v <= 0) continue;
      const y0 = PAD.top + plotH - (plotH * base) / maxValue;
      const y1 = PAD.top + plotH - (plotH * (base + v)) / maxValue;
      root.append(svg('rect', { x: xOf(i) - barW / 2, y: y1, width: barW, height: Math.max(1, y0 - y1), class: s.className }));
      base += v;
    }
  });
  xLabels(root, labels, xOf, height);
  return root;
}

// Lines through points; xs are numbers (threshold) or labels (days).
export function lineChart({ title, description, labels, series, yMax = 1, yFormat = (v) => `${Math.round(v * 100)}%`,
  width = 640, height = 240 }) {
  const root = frame(title, description, width, height);
  yAxis(root, yMax, width, height, yFormat);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const step = labels.length > 1 ? plotW / (labels.length - 1) : 0;
  const xOf = (i) => (labels.length > 1 ? PAD.left + step * i : PAD.left + plotW / 2);
  const yOf = (v) => PAD.top + plotH - (plotH * Math.max(0, Math.min(yMax, v))) / yMax;
  for (const s of series) {
    const points = s.values.map((v, i) => (v === null || v === undefined || Number.isNaN(Number(v)) ? null : [xOf(i), yOf(Number(v))]))
      .filter(Boolean);
    if (points.length > 1) {
      root.append(svg('polyline', { points: points.map((p) => p.join(',')).join(' '), class: `line ${s.className}`, fill: 'none' }));
    }
    for (const [x, y] of points) {
      root.append(s.marker === 'square'
        ? svg('rect', { x: x - 4, y: y - 4, width: 8, height: 8, class: s.className })
        : svg('circle', { cx: x, cy: y, r: 4, class: s.className }));
    }
  }
  xLabels(root, labels, xOf, height);
  return root;
}

// One horizontal bar per label.
export function horizontalBars({ title, description, labels, values, format, width = 640, rowHeight = 28, className = 'series-a' }) {
  const height = PAD.top + labels.length * rowHeight + 8;
  const root = frame(title, description, width, height);
  const left = 150;
  const maxValue = Math.max(...values.map((v) => Number(v) || 0), 1);
  const plotW = width - left - 110;
  labels.forEach((label, i) => {
    const y = PAD.top + i * rowHeight;
    const w = (plotW * (Number(values[i]) || 0)) / maxValue;
    root.append(svg('text', { x: left - 8, y: y + rowHeight / 2 + 4, class: 'axis-label', 'text-anchor': 'end' }, label));
    root.append(svg('rect', { x: left, y: y + 4, width: Math.max(1, w), height: rowHeight - 10, class: className }));
    root.append(svg('text', { x: left + w + 6, y: y + rowHeight / 2 + 4, class: 'axis-label' }, format(values[i])));
  });
  return root;
}
