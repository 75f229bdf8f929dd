// Building the page from data without HTML parsing: every value from the server goes in
// as a text node, so OCR text holding "<script>" shows as those characters. No inline
// style attributes either (the Content-Security-Policy forbids them): classes only.

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.setAttribute('class', value);
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'style') throw new Error('inline styles are not allowed');
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// h('p', {class: 'x'}, 'text', h('strong', {}, 'more'))
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  appendChildren(el, children);
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  appendChildren(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  appendChildren(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

// "45 s", "12 min", "3 h 5 min", "2 d 4 h"
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return '–';
  let s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d} d ${hours % 24} h` : `${d} d`;
}

export function formatTime(iso) {
  if (!iso) return '–';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  return t.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

// "due in 3 h" / "overdue by 20 min", from an ISO time and now.
export function formatDue(iso, now = Date.now()) {
  if (!iso) return '';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '';
  const seconds = (t - now) / 1000;
  return seconds >= 0 ? `due in ${formatDuration(seconds)}` : `overdue by ${formatDuration(-seconds)}`;
}

export function formatPercent(fraction, digits = 0) {
  if (fraction === null || fraction === undefined || Number.isNaN(Number(fraction))) return '–';
  return `${(Number(fraction) * 100).toFixed(digits)}%`;
}

// Keys whose numbers are fractions of one: a person reads them as percentages.
const FRACTION_KEYS = new Set(['confidence', 'threshold', 'probability', 'min_confidence']);

// A copy of a value from the server as a person reads it: numbers under a fraction key
// (also within an object or list under one, e.g. extract's confidence per field, or a
// ranking's entries) as percentages. The server's values themselves stay numbers.
export function withPercentages(value, fraction = false) {
  if (typeof value === 'number') return fraction && value >= 0 && value <= 1 ? formatPercent(value, 1) : value;
  if (Array.isArray(value)) return value.map((v) => withPercentages(v, fraction));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value)
      .map(([k, v]) => [k, withPercentages(v, fraction || FRACTION_KEYS.has(k))]));
  }
  return value;
}

// The short note beside a choice: its text, or how sure the bot is of it.
export function choiceNote(detail) {
  if (typeof detail === 'string') return detail;
  if (detail === null || typeof detail !== 'object') return '';
  if (typeof detail.confidence === 'number') return `confidence ${formatPercent(detail.confidence, 1)}`;
  if (typeof detail.probability === 'number') return `${formatPercent(detail.probability, 1)} likely`;
  return '';
}

export function formatNumber(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '–';
  return Number(n).toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatMoney(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '–';
  return Number(n).toLocaleString('en-GB', { style: 'currency', currency: 'GBP', maximumFractionDigits: 0 });
}

// Any JSON value as text a person can read: strings as they are, the rest as JSON.
export function valueText(value) {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value, null, 2);
}

function isFlatRecord(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    && Object.values(v).every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x));
}

// A list of flat records (e.g. OCR's pages) as a table, one row each.
function recordTable(records, label) {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data compact' },
    h('caption', { class: 'visually-hidden' }, label || 'Values'),
    h('thead', {}, h('tr', {}, keys.map((k) => h('th', { scope: 'col' }, humanise(k))))),
    h('tbody', {}, records.map((r) => h('tr', {}, keys.map((k) => h('td', {}, valueText(r[k] ?? ''))))))));
}

// A value as an element: short text inline, a list of records as a table, long or
// structured text in a scrollable, keyboard-focusable block.
export function valueNode(value, label) {
  if (Array.isArray(value) && value.length > 0 && value.length <= 100 && value.every(isFlatRecord)) {
    return recordTable(value, label);
  }
  if (isFlatRecord(value) && Object.keys(value).length > 0 && Object.keys(value).length <= 30) {
    return definitionList(value, 'kv nested');
  }
  const text = valueText(value);
  if (text.length > 80 || text.includes('\n') || (value !== null && typeof value === 'object')) {
    return h('pre', { class: 'value-block', tabindex: '0', 'aria-label': label ? `${label} (scrollable)` : null }, text);
  }
  return h('span', { class: 'value' }, text);
}

// A definition list of an object's keys and values.
export function definitionList(object, className = 'kv') {
  const dl = h('dl', { class: className });
  for (const [key, value] of Object.entries(object || {})) {
    dl.append(h('dt', {}, humanise(key)), h('dd', {}, valueNode(value, humanise(key))));
  }
  return dl;
}

// snake_case key to words: "date_of_birth" -> "Date of birth"
export function humanise(key) {
  const s = String(key).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
