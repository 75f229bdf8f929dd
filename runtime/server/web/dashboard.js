// The operations dashboard from GET /api/v1/dashboard: per bot and day, items in, straight
// through, to a person, failed; the straight-through rate and its trend; queues against
// their SLA; median time to done; hours and money saved; shadow trials' threshold curves;
// why items went to people; acknowledgements sent and failed; learning bots' live precision and the answers they still need.
// Every chart has its numbers in a table beside it.

import { api, query } from './api.js';
import { $, h, replace, formatDuration, formatNumber, formatPercent, formatMoney, formatTime } from './dom.js';
import { stackedBars, lineChart, horizontalBars, legend } from './charts.js';

function table(caption, headers, rows, { numericFrom = 1 } = {}) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((t, i) => h('th', { scope: 'col', class: i >= numericFrom ? 'num' : null }, t)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => (i === 0
      ? h('th', { scope: 'row' }, c)
      : h('td', { class: i >= numericFrom ? 'num' : null }, c))))))));
}

// The straight-through rate of the later half of the days against the earlier half, in
// percentage points; null when either half has nothing done.
export function trend(days) {
  if (days.length < 2) return null;
  const half = Math.floor(days.length / 2);
  const rate = (list) => {
    // As the server's straight_through_rate: straight through / done.
    const straight = list.reduce((s, d) => s + (Number(d.straight_through) || 0), 0);
    const done = list.reduce((s, d) => s + (Number(d.done) || 0), 0);
    return done ? straight / done : null;
  };
  const before = rate(days.slice(0, half));
  const after = rate(days.slice(days.length - half));
  if (before === null || after === null) return null;
  return (after - before) * 100;
}

function trendText(points) {
  if (points === null) return 'not enough days';
  if (Math.abs(points) < 0.5) return '→ steady';
  return points > 0 ? `▲ up ${points.toFixed(1)} points` : `▼ down ${Math.abs(points).toFixed(1)} points`;
}

function figure(caption, chart, legendSeries, numbers) {
  return h('figure', { class: 'chart-figure' },
    h('figcaption', {}, caption),
    chart,
    legendSeries ? legend(legendSeries) : null,
    numbers);
}

function botSection(bot, days, summary) {
  const labels = days.map((d) => d.day.slice(5));
  const series = [
    { name: 'Straight through', className: 'series-a', values: days.map((d) => d.straight_through) },
    { name: 'To a person', className: 'series-b', values: days.map((d) => d.to_person) },
    { name: 'Failed', className: 'series-c', values: days.map((d) => d.failed) },
  ];
  const rateSeries = [{ name: 'Straight-through rate', className: 'series-a', marker: 'circle',
    values: days.map((d) => d.straight_through_rate) }];
  const headingId = `bot-${bot.replace(/[^a-z0-9_-]/gi, '-')}`;
  const points = trend(days);
  return h('section', { class: 'panel', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, bot),
    h('p', { class: 'summary' },
      summary ? `${formatNumber(summary.arrived)} in, ${formatPercent(summary.straight_through_rate)} straight through (${trendText(points)}), ${formatNumber(summary.hours_saved, 1)} hours saved.` : ''),
    days.length === 0 ? h('p', { class: 'muted' }, 'No items in this period.') : [
      h('div', { class: 'charts' },
        figure(`${bot}: items per day by outcome`, stackedBars({
          title: `${bot}: items per day by outcome`,
          description: 'Stacked bars per day: straight through at the bottom, then to a person, then failed. The table below has the numbers.',
          labels, series,
        }), series),
        figure(`${bot}: straight-through rate per day`, lineChart({
          title: `${bot}: straight-through rate per day`,
          description: `The share of items done without a person, per day; trend ${trendText(points)}.`,
          labels, series: rateSeries,
        }), rateSeries)),
      table(`${bot}: figures per day`,
        ['Day', 'Items in', 'Straight through', 'To a person', 'Failed', 'Straight-through rate', 'Median minutes to done', 'Hours saved'],
        days.map((d) => [d.day, formatNumber(d.arrived), formatNumber(d.straight_through), formatNumber(d.to_person),
          formatNumber(d.failed), formatPercent(d.straight_through_rate, 1),
          d.median_minutes_to_done === null || d.median_minutes_to_done === undefined ? '–' : formatNumber(d.median_minutes_to_done, 1),
          formatNumber(d.hours_saved, 1)])),
    ]);
}

function queuesSection(queues) {
  const content = queues.length === 0
    ? [h('p', { class: 'muted' }, 'No team has items waiting.')]
    : [
      figure('Oldest waiting item per team', horizontalBars({
        title: 'Oldest waiting item per team',
        description: 'One bar per team: how long its oldest open item has waited. The table below has the numbers and breaches.',
        labels: queues.map((q) => q.team),
        values: queues.map((q) => q.oldest_age_seconds || 0),
        format: formatDuration,
      })),
      table('Queues per team', ['Team', 'Open', 'Past SLA', 'Oldest waiting'],
        queues.map((q) => [q.team, formatNumber(q.open),
          q.breached ? h('strong', { class: 'badge breached' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), `${formatNumber(q.breached)} breached`) : '0',
          formatDuration(q.oldest_age_seconds)])),
    ];
  return h('section', { class: 'panel', 'aria-labelledby': 'queues-heading' },
    h('h2', { id: 'queues-heading' }, 'Queues against SLA'), ...content);
}

function shadowSection(shadow) {
  if (!shadow.length) return null;
  return h('section', { class: 'panel', 'aria-labelledby': 'shadow-heading' },
    h('h2', { id: 'shadow-heading' }, 'Shadow trials'),
    h('p', {}, 'How many items the bot would have cleared alone at each threshold, and how often it would have agreed with the person.'),
    shadow.map((trial) => {
      const points = [...(trial.points || [])].sort((a, b) => a.threshold - b.threshold);
      const series = [
        { name: 'Straight-through rate', className: 'series-a', marker: 'circle', values: points.map((p) => p.straight_through_rate) },
        { name: 'Precision', className: 'series-b', marker: 'square', values: points.map((p) => p.precision) },
      ];
      const title = `${trial.bot}: straight-through rate and precision per threshold`;
      return h('div', { class: 'shadow-trial' },
        h('h3', {}, `${trial.bot} (${formatNumber(trial.answered)} items answered by people)`),
        figure(title, lineChart({ title,
          description: 'Two lines over the threshold: the straight-through rate falls and precision rises as the threshold rises. The table below has the numbers.',
          labels: points.map((p) => String(p.threshold)), series }), series,
        table(`${trial.bot}: per threshold`, ['Threshold', 'Straight-through rate', 'Precision'],
          points.map((p) => [String(p.threshold), formatPercent(p.straight_through_rate, 1), formatPercent(p.precision, 1)]))));
    }));
}

// Why items went to people over the period: per bot, step, kind of reason and the
// category the bot had in mind, most first, with how many still wait; and per kind of
// reason over every bot, as bars.
function reasonsSection(reasons) {
  if (!reasons.length) return null;
  const byKind = new Map();
  for (const r of reasons) byKind.set(r.label, (byKind.get(r.label) || 0) + r.opened);
  const kinds = [...byKind.entries()].sort((a, b) => b[1] - a[1]);
  return h('section', { class: 'panel', 'aria-labelledby': 'reasons-heading', id: 'reasons' },
    h('h2', { id: 'reasons-heading' }, 'Why items went to people'),
    figure('Items sent to a person, by reason', horizontalBars({
      title: 'Items sent to a person, by reason',
      description: 'One bar per reason: how many items went to a person for it. The table below has the numbers per bot, step and category.',
      labels: kinds.map(([kind]) => kind),
      values: kinds.map(([, count]) => count),
      format: (v) => formatNumber(v),
    })),
    table('Items sent to a person, by bot, step, reason and category',
      ['Bot', 'Step', 'Reason', 'Category', 'Sent to a person', 'Still waiting'],
      reasons.map((r) => [r.bot, r.step, r.label, r.category || '–', formatNumber(r.opened), formatNumber(r.open)]),
      { numericFrom: 4 }));
}

// Acknowledgements and other notices the bots sent over the period: per bot and day, how
// many went and how many failed, by what went wrong.
function noticesSection(notices) {
  if (!notices.length) return null;
  const rows = [...notices].sort((a, b) => a.bot.localeCompare(b.bot) || a.day.localeCompare(b.day));
  const sent = rows.reduce((n, r) => n + r.sent, 0);
  const failed = rows.reduce((n, r) => n + r.failed, 0);
  return h('section', { class: 'panel', 'aria-labelledby': 'notices-heading', id: 'notices' },
    h('h2', { id: 'notices-heading' }, 'Acknowledgements and notices'),
    h('p', {}, `${formatNumber(sent)} sent, ${formatNumber(failed)} failed.`),
    table('Notices sent and failed, by bot and day',
      ['Bot', 'Day', 'Sent', 'Refused by the mail server', 'Bounced', 'Mail server error', 'Could not be sent'],
      rows.map((r) => [r.bot, r.day, formatNumber(r.sent), formatNumber(r.refused), formatNumber(r.bounced),
        formatNumber(r.server_error), formatNumber(r.unsendable)]),
      { numericFrom: 2 }));
}

// One learning match step's cells: answers against those at which its next challenger is
// trained, the weights in use (the version `.latest` names, else the bot file's) and what
// became of its last challenger.
export function matchLearningCells(l) {
  const inUse = l.version ? `version ${l.version}`
    : (l.model_problem ? `unreadable: ${l.model_problem}` : 'the bot file\'s');
  const last = l.last_challenger;
  const verdict = last
    ? `${last.promoted ? 'promoted' : 'refused'} ${formatTime(last.at)} (${formatNumber(last.answers)} answers)${last.reason ? `: ${last.reason}` : ''}`
    : 'none trained yet';
  const next = l.next_challenger_at ?? l.min_answers;
  const more = Math.max(0, next - l.answered);
  return [l.bot, l.step, formatNumber(l.answered), formatNumber(next),
    more === 0 ? 'due' : formatNumber(more), inUse, verdict];
}

// Learning bots: live precision measured by quality checks against the target, and the
// answers a learning step still needs before anything can go straight through; a learning
// match step's answers before it trains, its weights in use and its last challenger.
function learningSection(live, rows) {
  if (!live.length && !rows.length) return null;
  // A row without a kind is a classify step's (the API's rows from before match steps).
  const learning = rows.filter((l) => l.kind !== 'match');
  const matching = rows.filter((l) => l.kind === 'match');
  const bound = (r) => `${formatPercent(r.lower_bound, 1)} – ${formatPercent(r.upper_bound, 1)}`;
  return h('section', { class: 'panel', 'aria-labelledby': 'learning-heading' },
    h('h2', { id: 'learning-heading' }, 'Learning bots'),
    live.length ? [
      h('p', {}, 'Live precision: of the sure decisions a person checked blind, how many the person answered the same way (90% bounds).'),
      table('Live precision from quality checks', ['Bot', 'Category', 'Checks', 'Right', 'Precision', 'Bounds', 'Target'],
        live.flatMap((b) => [
          [b.bot, 'all', formatNumber(b.checks), formatNumber(b.right), formatPercent(b.precision, 1), bound(b),
            b.below_target ? h('strong', { class: 'badge breached' }, h('span', { 'aria-hidden': 'true' }, '⚠ '),
              `below ${formatPercent(b.target_precision, 1)}`) : formatPercent(b.target_precision, 1)],
          ...(b.categories || []).map((c) => [b.bot, c.category, formatNumber(c.checks), formatNumber(c.right),
            formatPercent(c.precision, 1), bound(c), '']),
        ]), { numericFrom: 2 }),
    ] : null,
    learning.length ? table('Answers before anything can go straight through',
      ['Bot', 'Step', 'Answers so far', 'Needed (all right)', 'More needed', 'Target'],
      learning.map((l) => [l.bot, l.step, formatNumber(l.answered),
        l.answers_needed < 0 ? 'never' : formatNumber(l.answers_needed),
        l.more_needed < 0 ? '–' : (l.more_needed === 0 ? 'enough' : formatNumber(l.more_needed)),
        `${formatPercent(l.target_precision, 1)} at ${formatPercent(l.confidence, 0)}`]), { numericFrom: 2 }) : null,
    matching.length ? table('Match steps learning their weights: answers before a challenger is trained',
      ['Bot', 'Step', 'Answers so far', 'Next challenger at', 'More needed', 'Weights in use', 'Last challenger'],
      matching.map(matchLearningCells), { numericFrom: 2 }) : null);
}

export async function renderDashboard() {
  const form = $('#dashboard-filters');
  const container = $('#dashboard-body');
  container.setAttribute('aria-busy', 'true');
  let data;
  try {
    data = await api('GET', `/api/v1/dashboard${query({ days: form.days.value, bot: form.bot.value })}`);
  } finally {
    container.removeAttribute('aria-busy');
  }
  const days = data.days || [];
  const bots = data.bots || [];
  const botNames = [...new Set([...bots.map((b) => b.bot), ...days.map((d) => d.bot)])].sort();
  const totals = bots.reduce((t, b) => ({
    arrived: t.arrived + (b.arrived || 0), hours: t.hours + (b.hours_saved || 0), cost: t.cost + (b.cost_saved || 0),
  }), { arrived: 0, hours: 0, cost: 0 });

  const hasCost = bots.some((b) => typeof b.cost_saved === 'number');
  replace(container,
    h('section', { class: 'panel', 'aria-labelledby': 'bots-heading' },
      h('h2', { id: 'bots-heading' }, 'Bots'),
      h('p', { class: 'summary', id: 'dashboard-summary' },
        `Since ${data.since ? data.since.slice(0, 10) : 'the start'}: ${formatNumber(totals.arrived)} items in, ${formatNumber(totals.hours, 1)} hours saved${hasCost ? `, ${formatMoney(totals.cost)} saved` : ''}.`),
      bots.length === 0 ? h('p', { class: 'muted' }, 'No bot had items in this period.')
        : table('Per bot over the period',
          ['Bot', 'Items in', 'Done', 'Straight through', 'To a person', 'Failed', 'Straight-through rate', 'Trend', 'Minutes by hand per item', 'Hours saved', 'Cost saved'],
          bots.map((b) => {
            const points = trend(days.filter((d) => d.bot === b.bot).sort((x, y) => x.day.localeCompare(y.day)));
            return [b.bot, formatNumber(b.arrived), formatNumber(b.done), formatNumber(b.straight_through), formatNumber(b.to_person),
              formatNumber(b.failed), formatPercent(b.straight_through_rate, 1), trendText(points), formatNumber(b.manual_minutes),
              formatNumber(b.hours_saved, 1), formatMoney(b.cost_saved)];
          })),
      botNames.map((bot) => botSection(bot,
        days.filter((d) => d.bot === bot).sort((x, y) => x.day.localeCompare(y.day)),
        bots.find((b) => b.bot === bot)))),
    queuesSection(data.queues || []),
    reasonsSection(data.reasons || []),
    noticesSection(data.notices || []),
    shadowSection(data.shadow || []),
    learningSection(data.live_precision || [], data.learning || []));
  return `Dashboard: ${formatNumber(totals.arrived)} items in, ${formatNumber(totals.hours, 1)} hours saved.`;
}
