// The item view: what the bot saw and why it hesitated, beside the scan; the choices
// (keys 1-9), fields to correct, and the answer; reject and reassign.

import { api } from './api.js';
import {
  h, replace, definitionList, valueNode, valueText, humanise,
  formatDuration, formatTime, formatPercent, formatDue, withPercentages, choiceNote,
} from './dom.js';
import { scanViewer } from './scan.js';

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function section(title, id, ...content) {
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...content);
}

// A match candidate's field-by-field comparison with the item.
function comparisonTable(candidate, index) {
  const id = candidate.record_id ?? candidate.id ?? `${index + 1}`;
  const caption = [`Choice ${index + 1}: record ${valueText(id)}`];
  if (typeof candidate.probability === 'number') caption.push(`${formatPercent(candidate.probability, 1)} likely`);
  if (typeof candidate.score === 'number') caption.push(`score ${candidate.score}`);
  return h('table', { class: 'data compare' },
    h('caption', {}, caption.join(', ')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Field'),
      h('th', { scope: 'col' }, 'This item'),
      h('th', { scope: 'col' }, 'Record'),
      h('th', { scope: 'col' }, 'Comparison'),
      h('th', { scope: 'col' }, 'Weight'))),
    h('tbody', {}, (candidate.fields || []).map((f) => h('tr', {},
      h('th', { scope: 'row' }, humanise(f.field ?? '')),
      h('td', {}, valueText(f.query ?? '')),
      h('td', {}, valueText(f.candidate ?? '')),
      h('td', {}, h('span', { class: `level level-${String(f.level ?? '').replace(/[^a-z_]/gi, '')}` }, valueText(f.level ?? ''))),
      h('td', { class: 'num' }, valueText(f.weight ?? ''))))));
}

function evidenceContent(evidence) {
  if (!isPlainObject(evidence) || Object.keys(evidence).length === 0) {
    return [h('p', { class: 'muted' }, 'The bot left no further evidence.')];
  }
  const parts = [];
  const rest = { ...evidence };
  // Shown in their own section (or, in a blind trial, not at all).
  delete rest.shadow;
  delete rest.suggestion;
  delete rest.blind;
  if (typeof rest.confidence === 'number') {
    const needs = typeof rest.threshold === 'number' ? ` (it needs ${formatPercent(rest.threshold)} to decide alone)` : '';
    const best = rest.best !== undefined ? `Best guess ${valueText(rest.best)}, ` : '';
    parts.push(h('p', { class: 'confidence' }, `${best}confidence ${formatPercent(rest.confidence)}${needs}.`));
    delete rest.confidence;
    delete rest.threshold;
    delete rest.best;
  }
  if (Array.isArray(rest.reasons)) {
    parts.push(h('h3', {}, 'Reasons'));
    parts.push(rest.reasons.length
      ? h('ul', {}, rest.reasons.map((r) => h('li', {}, valueText(r))))
      : h('p', { class: 'muted' }, 'None given.'));
    delete rest.reasons;
  }
  if (Array.isArray(rest.candidates) && rest.candidates.some((c) => isPlainObject(c) && Array.isArray(c.fields))) {
    parts.push(h('h3', {}, 'Candidates, field by field'));
    rest.candidates.forEach((c, i) => parts.push(comparisonTable(c, i)));
    delete rest.candidates;
    delete rest.query;
  }
  if (Object.keys(rest).length) parts.push(definitionList(withPercentages(rest)));
  return parts;
}

function readContent(read) {
  if (!isPlainObject(read) || Object.keys(read).length === 0) return [h('p', { class: 'muted' }, 'Nothing yet.')];
  return Object.entries(read).map(([step, outputs]) => h('div', { class: 'read-step' },
    h('h3', {}, `Step ${step}`),
    isPlainObject(outputs) ? definitionList(withPercentages(outputs)) : valueNode(outputs, step)));
}

function prefill(item, field) {
  const candidates = [item.outputs && item.outputs[field],
    item.evidence && isPlainObject(item.evidence.extracted) && item.evidence.extracted[field]];
  for (const v of candidates) {
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return '';
}

function suggestionMatches(item, choice) {
  const s = item.suggestion;
  if (!isPlainObject(s)) return false;
  return [s.choice, s.value, s.answer].some((v) => v !== undefined && v !== null && String(v) === String(choice.value));
}

// Builds the item view into `container`. Returns the controller the keys use.
// ctx: {user, announce, showError, done(message), openReject()}
export function renderItem(container, item, ctx) {
  const decided = Boolean(item.decision) || ['resolved', 'rejected'].includes(item.state);
  const claimedByOther = item.claimed_by && item.claimed_by !== ctx.user.name;
  const canAct = !decided && !claimedByOther;
  const choices = Array.isArray(item.choices) ? item.choices : [];
  const fields = Array.isArray(item.fields) ? item.fields : [];
  let busy = false;

  // Summary line.
  const meta = h('dl', { class: 'meta' },
    h('div', {}, h('dt', {}, 'Bot'), h('dd', {}, item.bot)),
    h('div', {}, h('dt', {}, 'Step'), h('dd', {}, item.step)),
    h('div', {}, h('dt', {}, 'Team'), h('dd', {}, item.team)),
    h('div', {}, h('dt', {}, 'Waiting'), h('dd', {}, formatDuration(item.age_seconds))),
    h('div', {}, h('dt', {}, 'SLA due'), h('dd', {}, formatTime(item.sla_due_at),
      item.sla_due_at && !decided ? ` (${formatDue(item.sla_due_at)})` : null,
      item.breached ? [' ', h('strong', { class: 'badge breached' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), 'Breached')] : null)),
    h('div', {}, h('dt', {}, 'Claimed by'), h('dd', {}, item.claimed_by || 'nobody')));

  const notices = [];
  if (decided) {
    notices.push(h('p', { class: 'notice' },
      `Already decided${item.decided_by ? ` by ${item.decided_by}` : ''}${item.decided_at ? ` on ${formatTime(item.decided_at)}` : ''}: ${valueText(item.decision ?? item.state)}.`));
  } else if (claimedByOther) {
    notices.push(h('p', { class: 'notice' },
      `${item.claimed_by} is working on this item${item.claim_expires_at ? ` until ${formatTime(item.claim_expires_at)}` : ''}; you can read it but not answer it.`));
  }

  // The answer form.
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const choiceInputs = [];
  const choiceFieldset = choices.length ? h('fieldset', { class: 'choices' },
    h('legend', {}, 'Choose one ', h('span', { class: 'hint' }, '(keys 1 to 9)')),
    choices.map((choice, i) => {
      const id = `choice-${i}`;
      const input = h('input', { type: 'radio', name: 'choice', id, value: String(i),
        'aria-keyshortcuts': i < 9 ? String(i + 1) : null });
      choiceInputs.push(input);
      const suggested = suggestionMatches(item, choice);
      return h('div', { class: 'choice' }, input,
        h('label', { for: id },
          i < 9 ? h('kbd', { 'aria-hidden': 'true' }, String(i + 1)) : null,
          h('span', { class: 'choice-label' }, valueText(choice.label ?? choice.value)),
          choiceNote(choice.detail) ? h('span', { class: 'sub' }, choiceNote(choice.detail)) : null,
          suggested ? h('span', { class: 'badge suggestion' }, 'The bot would pick this') : null));
    })) : null;

  const fieldInputs = new Map();
  const fieldset = fields.length ? h('fieldset', { class: 'fields' },
    h('legend', {}, choices.length ? 'Or correct these fields' : 'Fill in or correct'),
    fields.map((name) => {
      const id = `field-${name}`;
      const initial = prefill(item, name);
      const input = h('input', { id, name: `field:${name}`, value: initial, autocomplete: 'off', spellcheck: 'false' });
      input.dataset.initial = initial;
      fieldInputs.set(name, input);
      return h('div', { class: 'field' }, h('label', { for: id }, humanise(name)), input);
    })) : null;

  const note = h('textarea', { id: 'answer-note', name: 'note', rows: '2' });
  const confirm = h('button', { type: 'submit', class: 'primary', 'aria-keyshortcuts': 'Enter' }, 'Confirm answer ', h('kbd', { 'aria-hidden': 'true' }, 'Enter'));
  const rejectButton = h('button', { type: 'button', class: 'danger', 'aria-keyshortcuts': 'r', onclick: () => ctx.openReject() },
    'Reject ', h('kbd', { 'aria-hidden': 'true' }, 'r'));
  const form = h('form', { class: 'answer', id: 'answer-form', novalidate: true, 'aria-labelledby': 'answer-heading' },
    h('h2', { id: 'answer-heading' }, 'Your answer'),
    error,
    h('fieldset', { class: 'plain', disabled: !canAct },
      h('legend', { class: 'visually-hidden' }, 'Answer'),
      choiceFieldset, fieldset,
      h('div', { class: 'field' }, h('label', { for: 'answer-note' }, 'Note (optional)'), note),
      h('div', { class: 'buttons' }, confirm, rejectButton)));

  function fail(message) {
    error.hidden = false;
    replace(error, message);
    ctx.announce(message);
  }

  async function submit() {
    if (busy || !canAct) return;
    const chosen = choiceInputs.find((i) => i.checked);
    const body = {};
    if (chosen) body.choice = choices[Number(chosen.value)].value;
    const values = {};
    for (const [name, input] of fieldInputs) {
      const v = input.value.trim();
      if (v && (!choices.length || v !== input.dataset.initial)) values[name] = v;
    }
    if (Object.keys(values).length) body.fields = values;
    if (note.value.trim()) body.note = note.value.trim();
    if (body.choice === undefined && !body.fields) {
      fail(choices.length ? 'Pick a choice (keys 1 to 9) or fill in a field first.' : 'Fill in a field first.');
      (choiceInputs[0] || fieldInputs.values().next().value)?.focus();
      return;
    }
    busy = true;
    confirm.disabled = true;
    try {
      await api('POST', `/api/v1/exceptions/${item.id}/resolve`, body);
      const what = chosen ? valueText(choices[Number(chosen.value)].label ?? body.choice) : 'your corrections';
      ctx.done(`Item ${item.id} answered: ${what}. The bot resumes it.`, item);
    } catch (e) {
      busy = false;
      confirm.disabled = false;
      fail(`Not answered: ${e.message}`);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });

  // Reassign.
  const teamInput = h('input', { id: 'reassign-team', name: 'team', list: 'team-list', autocomplete: 'off', required: true });
  const teamList = h('datalist', { id: 'team-list' });
  const reassignReason = h('input', { id: 'reassign-reason', name: 'reason', autocomplete: 'off' });
  const reassignError = h('p', { class: 'error', role: 'alert', hidden: true });
  const reassignForm = h('form', { class: 'reassign', novalidate: true },
    reassignError,
    h('div', { class: 'field' }, h('label', { for: 'reassign-team' }, 'Team'), teamInput, teamList),
    h('div', { class: 'field' }, h('label', { for: 'reassign-reason' }, 'Reason (optional)'), reassignReason),
    h('button', { type: 'submit', class: 'secondary' }, 'Reassign'));
  reassignForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const team = teamInput.value.trim();
    if (!team) {
      reassignError.hidden = false;
      replace(reassignError, 'Name the team to send the item to.');
      teamInput.focus();
      return;
    }
    try {
      const body = { team };
      if (reassignReason.value.trim()) body.reason = reassignReason.value.trim();
      await api('POST', `/api/v1/exceptions/${item.id}/reassign`, body);
      ctx.done(`Item ${item.id} sent to team ${team}.`, item);
    } catch (e) {
      reassignError.hidden = false;
      replace(reassignError, `Not reassigned: ${e.message}`);
      ctx.announce(`Not reassigned: ${e.message}`);
    }
  });
  const reassign = canAct ? h('details', { class: 'panel reassign-panel' },
    h('summary', {}, 'Reassign to another team'), reassignForm) : null;
  if (canAct) {
    api('GET', '/api/v1/teams').then(({ teams }) => {
      for (const t of teams || []) if (t.team !== item.team) teamList.append(h('option', { value: t.team }));
    }).catch(() => {});
  }

  // Candidates are compared in the evidence already; not again as JSON.
  const comparedAbove = isPlainObject(item.evidence) && Array.isArray(item.evidence.candidates)
    && item.evidence.candidates.some((c) => isPlainObject(c) && Array.isArray(c.fields));
  const withoutCandidates = (o) => {
    if (!isPlainObject(o) || !comparedAbove) return o;
    const copy = { ...o };
    delete copy.candidates;
    return copy;
  };
  let suggestion = null;
  if (isPlainObject(item.suggestion)) {
    const shown = { ...item.suggestion };
    if (typeof shown.confidence === 'number') shown.confidence = formatPercent(shown.confidence, 1);
    if (isPlainObject(shown.outputs)) shown.outputs = withoutCandidates(shown.outputs);
    suggestion = section('The bot\'s suggestion (shadow trial)', 'suggestion-heading', definitionList(withPercentages(shown)));
  }

  const viewer = item.document && Number(item.document.pages) > 0
    ? scanViewer(item.id, Number(item.document.pages), ctx.announce) : null;

  const details = h('div', { class: 'item-details' },
    h('section', { class: 'panel why', 'aria-labelledby': 'why-heading' },
      h('h2', { id: 'why-heading' }, 'Why it needs a person'),
      h('p', { class: 'reason-text' }, item.reason || 'No reason given.'),
      ...evidenceContent(item.evidence)),
    suggestion,
    form,
    reassign,
    section('What the bot read', 'read-heading', ...readContent(item.read)),
    section('What came in', 'input-heading', isPlainObject(item.input) ? definitionList(item.input) : valueNode(item.input, 'Input')),
    isPlainObject(item.outputs) && Object.keys(withoutCandidates(item.outputs)).length
      ? section('What the step had worked out', 'outputs-heading', definitionList(withPercentages(withoutCandidates(item.outputs)))) : null);

  replace(container, meta, notices, h('div', { class: viewer ? 'item-layout with-scan' : 'item-layout' },
    viewer ? viewer.element : null, details));
  if (viewer) requestAnimationFrame(() => viewer.redraw());

  return {
    item,
    pick(n) {
      if (!canAct) return false;
      const input = choiceInputs[n - 1];
      if (!input) {
        ctx.announce(`There is no choice ${n}.`);
        return false;
      }
      input.checked = true;
      input.focus();
      ctx.announce(`Choice ${n}: ${valueText(choices[n - 1].label ?? choices[n - 1].value)}. Press Enter to confirm.`);
      return true;
    },
    confirm: submit,
    canAct,
    firstField: () => fieldInputs.values().next().value || null,
    focusStart() {
      // Fields only: start typing straight away. Otherwise the heading, so the keys work.
      if (canAct && !choices.length && fieldInputs.size) fieldInputs.values().next().value.focus();
      else document.getElementById('item-heading').focus();
    },
    viewer,
  };
}
