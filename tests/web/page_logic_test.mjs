// The page's pure helpers under Node's own test runner: durations, numbers as text, the
// straight-through trend, query strings. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  formatDuration, formatDue, formatPercent, valueText, humanise, withPercentages, choiceNote,
} from '../../runtime/server/web/dom.js';
import { trend, matchLearningCells } from '../../runtime/server/web/dashboard.js';
import { query } from '../../runtime/server/web/api.js';

test('durations read as a person says them', () => {
  assert.equal(formatDuration(0), '0 s');
  assert.equal(formatDuration(59), '59 s');
  assert.equal(formatDuration(60), '1 min');
  assert.equal(formatDuration(3600), '1 h');
  assert.equal(formatDuration(3 * 3600 + 5 * 60), '3 h 5 min');
  assert.equal(formatDuration(47 * 3600), '47 h');
  assert.equal(formatDuration(2 * 86400 + 4 * 3600), '2 d 4 h');
  assert.equal(formatDuration(null), '–');
  assert.equal(formatDuration(-5), '0 s');
});

test('SLA due times relative to now', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  assert.equal(formatDue('2026-11-23T15:00:00Z', now), 'due in 3 h');
  assert.equal(formatDue('2026-11-23T11:40:00Z', now), 'overdue by 20 min');
  assert.equal(formatDue(null, now), '');
});

test('fractions as percentages, missing values as a dash', () => {
  assert.equal(formatPercent(0.945, 1), '94.5%');
  assert.equal(formatPercent(1), '100%');
  assert.equal(formatPercent(undefined), '–');
});

test('confidences a person sees read as percentages', () => {
  const evidence = {
    best: 'highways', confidence: 0.7793630564109261, threshold: 0.9,
    ranking: [{ category: 'highways', confidence: 0.7793630564109261 }, { category: 'blue_badge', confidence: 0.1 }],
    confidence_per_field: { ref: 0.5 }, pages: 2,
  };
  const shown = withPercentages({ ...evidence, extracted: { confidence: { reference: 0.85 }, found: ['reference'] } });
  assert.equal(shown.confidence, '77.9%');
  assert.equal(shown.threshold, '90.0%');
  assert.deepEqual(shown.ranking, [{ category: 'highways', confidence: '77.9%' }, { category: 'blue_badge', confidence: '10.0%' }]);
  assert.deepEqual(shown.extracted.confidence, { reference: '85.0%' });
  assert.deepEqual(shown.extracted.found, ['reference']);
  assert.equal(shown.pages, 2);
  assert.deepEqual(shown.confidence_per_field, { ref: 0.5 });
  assert.equal(evidence.confidence, 0.7793630564109261, 'the server\'s value stays a number');
  assert.equal(choiceNote({ confidence: 0.7793630564109261, reasons: ['pothole'] }), 'confidence 77.9%');
  assert.equal(choiceNote({ probability: 0.9912, record_id: 'R1' }), '99.1% likely');
  assert.equal(choiceNote('Leeds office'), 'Leeds office');
  assert.equal(choiceNote({ outputs: { category: 'x' } }), '');
});

test('values from the server stay text', () => {
  assert.equal(valueText('<script>alert(1)</script>'), '<script>alert(1)</script>');
  assert.equal(valueText({ a: 1 }), '{\n  "a": 1\n}');
  assert.equal(valueText(null), '–');
  assert.equal(humanise('date_of_birth'), 'Date of birth');
});

test('the trend compares the later half of the days with the earlier half', () => {
  // As the server's rate: straight through / done.
  const day = (st, done) => ({ straight_through: st, done });
  assert.equal(trend([day(8, 10)]), null);
  assert.equal(Math.round(trend([day(8, 10), day(8, 10), day(9, 10), day(9, 10)])), 10);
  assert.equal(Math.round(trend([day(9, 10), day(7, 10)])), -20);
  assert.equal(Math.round(trend([day(9, 10), day(0, 0), day(7, 10)])), -20);
  assert.equal(trend([day(0, 0), day(5, 10)]), null);
});

test('query strings leave out empty filters', () => {
  assert.equal(query({ bot: 'inbound-post', reason: '', claimed: null, limit: 50 }), '?bot=inbound-post&limit=50');
  assert.equal(query({}), '');
  assert.equal(query({ reason: 'a b&c' }), '?reason=a+b%26c');
});

test('every script of the page parses', async () => {
  const { spawnSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const web = new URL('../../runtime/server/web/', import.meta.url);
  const scripts = fs.readdirSync(web).filter((f) => f.endsWith('.js'));
  assert.ok(scripts.includes('app.js'));
  for (const file of scripts) {
    const r = spawnSync(process.execPath, ['--check', new URL(file, web).pathname], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${file}: ${r.stderr}`);
  }
});

test('the page has no inline script or style, which the Content-Security-Policy forbids', async () => {
  const fs = await import('node:fs');
  const html = fs.readFileSync(new URL('../../runtime/server/web/index.html', import.meta.url), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i);
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  for (const file of fs.readdirSync(new URL('../../runtime/server/web/', import.meta.url)).filter((f) => f.endsWith('.js'))) {
    const js = fs.readFileSync(new URL(`../../runtime/server/web/${file}`, import.meta.url), 'utf8');
    assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/, file);
  }
});

test('a learning match step reads as answers before training, the weights in use and its last challenger', () => {
  const row = {
    kind: 'match', bot: 'voters', step: 'person', answered: 1234, min_answers: 20, more_needed: 0,
    every: 20, next_challenger_at: 1240,
    model: 'voters.person.model.v2', version: 2,
    last_challenger: { at: '2026-11-20T14:02:11.000Z', promoted: false, model: 'voters.person.model.v3', answers: 12, reason: 'no more right' },
  };
  const cells = matchLearningCells(row);
  assert.deepEqual(cells.slice(0, 6), ['voters', 'person', '1,234', '1,240', '6', 'version 2']);
  assert.equal(matchLearningCells({ ...row, answered: 1240 })[4], 'due');
  assert.match(cells[6], /^refused .*2026.* \(12 answers\): no more right$/);
  const fresh = matchLearningCells({ ...row, answered: 14, more_needed: 6, next_challenger_at: 20, model: null,
    version: null, last_challenger: null });
  assert.deepEqual(fresh.slice(2), ['14', '20', '6', 'the bot file\'s', 'none trained yet']);
  assert.equal(matchLearningCells({ ...row, version: null, model: null, model_problem: 'no such file' })[5],
    'unreadable: no such file');
});
