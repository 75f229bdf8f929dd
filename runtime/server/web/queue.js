// The queue view: the team's undecided items, soonest SLA first (the server's order),
// with filters and paging. Rows link to the item view.

import { api, query } from './api.js';
import { $, h, replace, formatDuration, formatTime, formatDue } from './dom.js';

const PAGE_SIZE = 50;
const state = { offset: 0, filters: {}, botsLoaded: false, teamsLoaded: false };

function filtersFromForm() {
  const form = $('#queue-filters');
  const claimed = form.claimed.value;
  return {
    bot: form.bot.value,
    reason: form.reason.value.trim(),
    claimed: claimed === 'true' || claimed === 'false' ? claimed : '',
    mine: claimed === 'mine' ? 'true' : '',
    team: form.team.value,
  };
}

async function loadFilterOptions(user) {
  if (!state.botsLoaded) {
    try {
      const { bots } = await api('GET', '/api/v1/bots');
      const select = $('#filter-bot');
      for (const bot of bots || []) select.append(h('option', { value: bot.name }, bot.name));
      const dashSelect = $('#dash-bot');
      for (const bot of bots || []) dashSelect.append(h('option', { value: bot.name }, bot.name));
      state.botsLoaded = true;
    } catch {
      // The filter still works as "all bots".
    }
  }
  if (!state.teamsLoaded && user && user.role === 'admin') {
    try {
      const { teams } = await api('GET', '/api/v1/teams');
      const select = $('#filter-team');
      for (const team of teams || []) select.append(h('option', { value: team.team }, team.team));
      $('#filter-team-field').hidden = false;
      state.teamsLoaded = true;
    } catch {
      // Admins still see every team without the filter.
    }
  }
}

function row(item) {
  const breach = item.breached
    ? h('strong', { class: 'badge breached' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), 'Breached')
    : null;
  // Urgent work (the bot's escalate rules) is listed first and says why.
  const urgent = item.urgency
    ? h('strong', { class: 'badge urgent' }, h('span', { 'aria-hidden': 'true' }, '! '), `Urgent: ${item.urgency}`)
    : null;
  const classes = [item.breached ? 'is-breached' : null, item.urgency ? 'is-urgent' : null].filter(Boolean);
  return h('tr', { class: classes.length ? classes.join(' ') : null },
    h('td', {}, h('a', { href: `#/item/${item.id}` }, `Item ${item.id}`), urgent ? ' ' : null, urgent,
      h('span', { class: 'sub' }, `work item ${item.item_id}`)),
    h('td', {}, item.bot, h('span', { class: 'sub' }, item.step)),
    h('td', { class: 'reason' }, item.reason),
    h('td', {}, formatDuration(item.age_seconds)),
    h('td', {}, formatTime(item.sla_due_at), breach ? ' ' : null, breach,
      item.sla_due_at ? h('span', { class: 'sub' }, formatDue(item.sla_due_at)) : null),
    h('td', {}, item.claimed_by ? item.claimed_by : h('span', { class: 'muted' }, 'Unclaimed')));
}

// Loads and shows the current page. Returns the list's summary text.
export async function renderQueue(user, { keepOffset = true } = {}) {
  loadFilterOptions(user);
  if (!keepOffset) state.offset = 0;
  state.filters = filtersFromForm();
  const tbody = $('#queue-table tbody');
  $('#queue-table').setAttribute('aria-busy', 'true');
  let data;
  try {
    data = await api('GET', `/api/v1/exceptions${query({ ...state.filters, limit: PAGE_SIZE, offset: state.offset })}`);
  } finally {
    $('#queue-table').removeAttribute('aria-busy');
  }
  const items = data.items || [];
  if (items.length === 0) {
    replace(tbody, h('tr', {}, h('td', { colspan: '6', class: 'empty' }, 'No items wait for a person here.')));
  } else {
    replace(tbody, items.map(row));
  }
  const total = data.total ?? items.length;
  const first = items.length ? data.offset + 1 : 0;
  const last = data.offset + items.length;
  const breached = items.filter((i) => i.breached).length;
  const summary = total === 0
    ? 'The queue is empty.'
    : `${total} item${total === 1 ? '' : 's'} waiting${breached ? `, ${breached} on this page past their SLA` : ''}.`;
  replace($('#queue-summary'), summary);
  replace($('#page-info'), total ? `Items ${first} to ${last} of ${total}` : '');
  $('#page-prev').disabled = state.offset === 0;
  $('#page-next').disabled = data.next_offset === null || data.next_offset === undefined;
  state.nextOffset = data.next_offset;
  // A pager button that just became disabled would drop focus to the page's start.
  if (document.activeElement instanceof HTMLButtonElement && document.activeElement.disabled) {
    $('#queue-heading').focus();
  }
  return summary;
}

export function setupQueue(getUser, announce, showError) {
  $('#queue-filters').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      announce(await renderQueue(getUser(), { keepOffset: false }));
    } catch (e) {
      showError(e);
    }
  });
  $('#page-prev').addEventListener('click', async () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    try {
      announce(await renderQueue(getUser()));
    } catch (e) {
      showError(e);
    }
  });
  $('#page-next').addEventListener('click', async () => {
    if (state.nextOffset === null || state.nextOffset === undefined) return;
    state.offset = state.nextOffset;
    try {
      announce(await renderQueue(getUser()));
    } catch (e) {
      showError(e);
    }
  });
}
