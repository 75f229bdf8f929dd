// The web page of clerk serve: sign-in, the exception queue, one item, the dashboard.
// Views are chosen by the address's fragment (#/queue, #/item/12, #/dashboard); every
// action goes through the JSON API (api.js). Keys: see the keys dialog in index.html.

import { api, setCsrfToken, setSignedOutHandler, ApiError } from './api.js';
import { $, replace } from './dom.js';
import { renderQueue, setupQueue } from './queue.js';
import { renderItem } from './item.js';
import { renderDashboard } from './dashboard.js';

const app = {
  user: null,
  view: null,
  item: null, // controller of the item on show
  claimedId: null, // the exception this page claimed and has not answered
};

// ---- announcements ---------------------------------------------------------------------

let announceTimer = null;
function announce(message) {
  const region = $('#status');
  // Cleared first, so the same words twice are read twice.
  region.textContent = '';
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => {
    region.textContent = message;
  }, 30);
}

function showError(error) {
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  announce(`Something went wrong: ${message}`);
}

// ---- views -----------------------------------------------------------------------------

const TITLES = { signin: 'Sign in', queue: 'Exception queue', item: 'Item', dashboard: 'Dashboard' };

function show(view, { focus = true, title } = {}) {
  for (const name of Object.keys(TITLES)) $(`#view-${name}`).hidden = name !== view;
  app.view = view;
  document.title = `${title || TITLES[view]} – clerk`;
  for (const [id, v] of [['#nav-queue', 'queue'], ['#nav-dashboard', 'dashboard']]) {
    if (v === view) $(id).setAttribute('aria-current', 'page');
    else $(id).removeAttribute('aria-current');
  }
  if (focus) $(`#${view}-heading`)?.focus();
}

function setUser(user, csrfToken) {
  app.user = user;
  setCsrfToken(csrfToken || null);
  $('#main-nav').hidden = !user;
  $('#account').hidden = !user;
  if (user) {
    replace($('#who-name'), user.name);
    replace($('#who-team'), user.role === 'admin' ? `${user.team}, admin` : user.team);
  }
}

// Gives up this page's claim on an item it did not answer, so others can take it.
function releaseClaim() {
  const id = app.claimedId;
  app.claimedId = null;
  if (id !== null) api('POST', `/api/v1/exceptions/${id}/release`).catch(() => {});
}

async function showQueue({ focus = true, message } = {}) {
  if (app.claimedId !== null) releaseClaim();
  app.item = null;
  show('queue', { focus });
  try {
    const summary = await renderQueue(app.user);
    announce(message ? `${message} ${summary}` : summary);
  } catch (e) {
    showError(e);
  }
}

async function showDashboard() {
  if (app.claimedId !== null) releaseClaim();
  app.item = null;
  show('dashboard');
  try {
    announce(await renderDashboard());
  } catch (e) {
    showError(e);
  }
}

function itemContext() {
  return {
    user: app.user,
    announce,
    showError,
    openReject,
    done(message) {
      app.claimedId = null;
      navigate('#/queue', { message });
    },
  };
}

// Shows an item the server has already given us (from "next" or "claim").
function presentItem(item, { message } = {}) {
  show('item', { focus: false, title: `Item ${item.id}` });
  replace($('#item-heading'), `Item ${item.id}: ${item.reason || 'needs a person'}`);
  app.item = renderItem($('#item-body'), item, itemContext());
  app.item.focusStart();
  const choices = Array.isArray(item.choices) ? item.choices.length : 0;
  const hint = !app.item.canAct ? ''
    : choices ? ` ${choices} choice${choices === 1 ? '' : 's'}: press 1 to ${Math.min(9, choices)}, then Enter.` : ' Fill in the fields, then Enter.';
  announce(`${message ? `${message} ` : ''}Item ${item.id} from ${item.bot}: ${item.reason || ''}.${hint}`);
}

async function openItem(id) {
  if (app.item && app.item.item.id === id && app.view === 'item') return;
  if (app.claimedId !== null && app.claimedId !== id) releaseClaim();
  try {
    let item = await api('GET', `/api/v1/exceptions/${id}`);
    if (item.state === 'open' && !item.decision) {
      try {
        item = await api('POST', `/api/v1/exceptions/${id}/claim`);
        app.claimedId = item.id;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409)) throw e;
        item = await api('GET', `/api/v1/exceptions/${id}`);
      }
    } else if (item.claimed_by === app.user.name) {
      app.claimedId = item.id;
    }
    presentItem(item);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      navigate('#/queue', { message: `There is no item ${id} in your queue.` });
    } else {
      showError(e);
    }
  }
}

async function takeNext() {
  // The item on show is given up only once the next one is claimed, so "next" moves on.
  const previous = app.claimedId;
  app.claimedId = null;
  try {
    const item = await api('POST', '/api/v1/exceptions/next', {});
    if (previous !== null && (!item || item.id !== previous)) {
      api('POST', `/api/v1/exceptions/${previous}/release`).catch(() => {});
    }
    if (!item) {
      if (app.view !== 'queue') navigate('#/queue', { message: 'Nothing left: the queue is empty.' });
      else {
        announce('Nothing left: the queue is empty.');
        renderQueue(app.user).catch(() => {});
      }
      return;
    }
    app.claimedId = item.id;
    app.item = null;
    history.pushState(null, '', `#/item/${item.id}`);
    presentItem(item);
  } catch (e) {
    showError(e);
  }
}

// ---- routing ---------------------------------------------------------------------------

let pendingMessage = null;
function navigate(hash, { message } = {}) {
  pendingMessage = message || null;
  if (location.hash === hash) route();
  else location.hash = hash;
}

function route() {
  const message = pendingMessage;
  pendingMessage = null;
  if (!app.user) {
    show('signin');
    return;
  }
  const hash = location.hash;
  const itemMatch = hash.match(/^#\/item\/(\d+)$/);
  if (itemMatch) openItem(Number(itemMatch[1]));
  else if (hash === '#/dashboard') showDashboard();
  else showQueue({ message });
}

window.addEventListener('hashchange', () => {
  if (location.hash === '' || location.hash.startsWith('#/')) route();
});

// ---- sign-in ---------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const form = $('#signin-form');
  const error = $('#signin-error');
  error.hidden = true;
  const name = form.name.value.trim();
  const password = form.password.value;
  if (!name || !password) {
    error.hidden = false;
    replace(error, 'Enter your name and password.');
    (name ? form.password : form.name).focus();
    return;
  }
  try {
    const session = await api('POST', '/api/v1/session', { name, password });
    form.password.value = '';
    setUser(session.user, session.csrf_token);
    announce(`Signed in as ${session.user.name}, team ${session.user.team}.`);
    if (!location.hash.startsWith('#/')) history.replaceState(null, '', '#/queue');
    route();
  } catch (e) {
    error.hidden = false;
    let message = e.message;
    if (e.status === 401) message = 'The name or password is not right.';
    else if (e.status === 429) message = `Too many attempts. Try again${e.retryAfter ? ` in ${e.retryAfter} seconds` : ' later'}.`;
    replace(error, message);
    form.password.focus();
  }
}

async function signOut() {
  releaseClaim();
  try {
    await api('DELETE', '/api/v1/session');
  } catch {
    // Signed out on this page whatever the server says.
  }
  setUser(null);
  show('signin');
  announce('Signed out.');
}

function signedOutByServer() {
  if (!app.user) return;
  app.claimedId = null;
  setUser(null);
  show('signin');
  const error = $('#signin-error');
  error.hidden = false;
  replace(error, 'Your session has ended. Sign in again to go on.');
  announce('Your session has ended. Sign in again to go on.');
}

// ---- dialogs ---------------------------------------------------------------------------

let rejectReturnFocus = null;
function openReject() {
  if (app.view !== 'item' || !app.item || !app.item.canAct) return;
  rejectReturnFocus = document.activeElement;
  $('#reject-error').hidden = true;
  $('#reject-reason').value = '';
  $('#reject-dialog').showModal();
  $('#reject-reason').focus();
}

async function submitReject(event) {
  event.preventDefault();
  const reason = $('#reject-reason').value.trim();
  const error = $('#reject-error');
  if (!reason) {
    error.hidden = false;
    replace(error, 'Say why the item is rejected.');
    $('#reject-reason').focus();
    return;
  }
  const id = app.item.item.id;
  try {
    await api('POST', `/api/v1/exceptions/${id}/reject`, { reason });
    $('#reject-dialog').close();
    app.claimedId = null;
    navigate('#/queue', { message: `Item ${id} rejected.` });
  } catch (e) {
    error.hidden = false;
    replace(error, `Not rejected: ${e.message}`);
  }
}

let keysReturnFocus = null;
function openKeys() {
  keysReturnFocus = document.activeElement;
  $('#keys-dialog').showModal();
  $('#keys-close').focus();
}

// ---- keys ------------------------------------------------------------------------------

function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['radio', 'checkbox', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image'].includes(target.type);
  }
  return false;
}

function onKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (document.querySelector('dialog[open]')) return; // the dialog has the keys
  const target = event.target;
  if (isTyping(target)) {
    // Escape leaves a text field, so the keys work again.
    if (event.key === 'Escape' && app.view && target.closest(`#view-${app.view}`) && app.view !== 'signin') {
      event.preventDefault();
      $(`#${app.view}-heading`).focus();
    }
    return;
  }
  if (!app.user) return;
  const key = event.key;
  const onItem = app.view === 'item' && app.item;
  if (key === '?') {
    event.preventDefault();
    openKeys();
  } else if (key === 'n') {
    event.preventDefault();
    takeNext();
  } else if (key === 'd') {
    event.preventDefault();
    navigate('#/dashboard');
  } else if (key === 'q' || (key === 'Escape' && onItem)) {
    event.preventDefault();
    navigate('#/queue');
  } else if (onItem && /^[1-9]$/.test(key)) {
    event.preventDefault();
    app.item.pick(Number(key));
  } else if (onItem && key === 'Enter') {
    // Buttons, links and summaries keep their own Enter.
    if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement || target.tagName === 'SUMMARY') return;
    event.preventDefault();
    app.item.confirm();
  } else if (onItem && key === 'r') {
    event.preventDefault();
    openReject();
  } else if (onItem && key === 'e') {
    const field = app.item.firstField();
    if (field) {
      event.preventDefault();
      field.focus();
    }
  } else if (onItem && app.item.viewer) {
    const v = app.item.viewer;
    const actions = { '+': v.zoomIn, '=': v.zoomIn, '-': v.zoomOut, '[': v.prevPage, ']': v.nextPage, o: v.rotate };
    if (actions[key]) {
      event.preventDefault();
      actions[key]();
    }
  }
}

// ---- start -----------------------------------------------------------------------------

function start() {
  setSignedOutHandler(signedOutByServer);
  $('#signin-form').addEventListener('submit', signIn);
  $('#sign-out').addEventListener('click', signOut);
  $('#next-button').addEventListener('click', takeNext);
  $('#keys-button').addEventListener('click', openKeys);
  $('#reject-form').addEventListener('submit', submitReject);
  $('#reject-cancel').addEventListener('click', () => $('#reject-dialog').close());
  $('#reject-dialog').addEventListener('close', () => {
    if (rejectReturnFocus && document.contains(rejectReturnFocus)) rejectReturnFocus.focus();
  });
  $('#keys-dialog').addEventListener('close', () => {
    if (keysReturnFocus && document.contains(keysReturnFocus)) keysReturnFocus.focus();
  });
  $('#dashboard-filters').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      announce(await renderDashboard());
    } catch (e) {
      showError(e);
    }
  });
  $('#skip-link').addEventListener('click', (event) => {
    event.preventDefault();
    $('#main').focus();
  });
  setupQueue(() => app.user, announce, showError);
  document.addEventListener('keydown', onKey);
  window.addEventListener('pagehide', () => {
    if (app.claimedId !== null) {
      // Best effort: the claim also runs out by itself.
      releaseClaim();
    }
  });

  api('GET', '/api/v1/session')
    .then((session) => setUser(session.user, session.csrf_token))
    .catch(() => setUser(null))
    .finally(() => {
      document.body.classList.add('ready');
      route();
    });
}

start();
