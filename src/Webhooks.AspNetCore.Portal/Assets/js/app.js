// The portal page: loads the session (who, what it may do, where the endpoints are), draws the
// header, then shows one view per address (#/, #/new, #/webhooks/{id}, ...). Addresses live in the
// fragment, so the server serves one page and the browser's back button works.
import { h, fill, announce, time } from './dom.js';
import { ApiError, createApi, describe } from './api.js';
import { listView } from './views/list.js';
import { formView } from './views/form.js';
import { detailView } from './views/detail.js';
import { logView } from './views/log.js';
import { deliveryView } from './views/delivery.js';

const base = document.body.dataset.portalBase;
const main = document.getElementById('main');

const routes = [
  [/^#?\/?$/, listView],
  [/^#\/new$/, (ctx) => formView(ctx, null)],
  [/^#\/webhooks\/([A-Za-z0-9_-]+)$/, detailView],
  [/^#\/webhooks\/([A-Za-z0-9_-]+)\/edit$/, (ctx, id) => formView(ctx, id)],
  [/^#\/webhooks\/([A-Za-z0-9_-]+)\/deliveries\/([A-Za-z0-9_-]+)$/, deliveryView],
  [/^#\/deliveries$/, logView],
  [/^#\/deliveries\/([A-Za-z0-9_-]+)$/, (ctx, deliveryId) => deliveryView(ctx, null, deliveryId)],
];

let config;
let api;
let current = 0;

async function loadSession() {
  let response;
  try {
    response = await fetch(`${base}session`, {
      headers: { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'manual',
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (response.type === 'opaqueredirect') throw new ApiError(401, null);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Shows an error in place of the view: what happened and what to do. */
export function errorPanel(error, retry) {
  const { title, detail } = describe(error);
  return h('div', { class: 'panel error-panel', role: 'alert' },
    h('h2', null, title),
    h('p', null, detail),
    retry ? h('button', { type: 'button', class: 'button', onclick: retry }, 'Try again') : null);
}

function renderChrome() {
  const nav = document.getElementById('nav');
  fill(nav,
    h('a', { href: '#/', 'data-nav': 'list' }, 'Webhooks'),
    config.features.log ? h('a', { href: '#/deliveries', 'data-nav': 'log' }, 'Delivery log') : null);

  const session = document.getElementById('session');
  const who = h('span', { class: 'who' }, h('span', { class: 'visually-hidden' }, 'Signed in for '), config.owner);
  if (config.kind === 'link') {
    fill(session,
      who,
      config.readOnly ? h('span', { class: 'badge badge-off' }, 'Read-only') : null,
      h('span', { class: 'until' }, 'until ', time(config.expiresAt, true)),
      h('button', { type: 'button', class: 'button small', onclick: endSession }, 'End session'));
  } else {
    fill(session, who);
  }

  if (config.readOnly) {
    fill(document.getElementById('banner'),
      h('p', { class: 'banner' }, 'You opened a read-only link: you can look at these webhooks and their deliveries, but not change them.'));
  }
}

async function endSession() {
  try {
    await fetch(`${base}session/end`, {
      method: 'POST',
      headers: { [config.antiforgery.headerName]: config.antiforgery.token, 'X-Requested-With': 'XMLHttpRequest' },
      credentials: 'same-origin',
    });
  } finally {
    fill(document.getElementById('nav'));
    fill(document.getElementById('session'));
    fill(document.getElementById('banner'));
    fill(main, h('h1', { tabindex: '-1' }, 'Session ended'), h('p', null, 'You can close this page. Open your access link again to come back while it is valid.'));
    main.querySelector('h1').focus();
  }
}

function markNav(hash) {
  for (const a of document.querySelectorAll('#nav a')) {
    const active = (a.dataset.nav === 'log' && hash.startsWith('#/deliveries')) || (a.dataset.nav === 'list' && !hash.startsWith('#/deliveries'));
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  const hash = location.hash || '#/';
  if (!hash.startsWith('#/') && hash !== '') return; // "#main": the skip link, not a view
  const token = ++current;
  markNav(hash);
  let view = null;
  let args = [];
  for (const [pattern, render] of routes) {
    const m = pattern.exec(hash);
    if (m) {
      view = render;
      args = m.slice(1);
      break;
    }
  }

  const ctx = {
    api,
    config,
    main,
    alive: () => token === current,
    navigate: (to) => { location.hash = to; },
    announce,
    /** Sets the view's heading as the page title and moves focus to it, as a page load would. */
    ready: (heading) => {
      document.title = `${heading} · ${document.body.dataset.portalTitle}`;
      main.setAttribute('aria-busy', 'false');
      const h1 = main.querySelector('h1');
      if (h1) {
        h1.setAttribute('tabindex', '-1');
        if (ctx.focus !== false) h1.focus();
      }
    },
    focus: token > 1,
  };

  main.setAttribute('aria-busy', 'true');
  fill(main, h('p', { class: 'loading' }, 'Loading…'));
  if (!view) {
    fill(main, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '#/' }, 'Go to your webhooks')));
    ctx.ready('Page not found');
    return;
  }

  try {
    await view(ctx, ...args);
  } catch (error) {
    if (!ctx.alive()) return;
    fill(main, h('h1', null, 'Something went wrong'), errorPanel(error, route));
    ctx.ready('Error');
  }
}

async function start() {
  try {
    config = await loadSession();
  } catch (error) {
    const { title, detail } = describe(error);
    fill(main, h('h1', null, title), h('p', null, detail));
    main.setAttribute('aria-busy', 'false');
    return;
  }

  api = createApi(config);
  renderChrome();
  window.addEventListener('hashchange', route);
  await route();
}

start();
