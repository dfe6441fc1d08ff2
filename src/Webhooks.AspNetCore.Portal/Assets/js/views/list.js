// The list: every webhook of the owner with its events, state and last-24-hours counts (seed 001's
// table), the owner-wide counts above it, and the way to create one.
import { h, fill, badge, isId, time } from '../dom.js';
import { describe } from '../api.js';

const STATS_IDS_PER_REQUEST = 100;

/**
 * Fills the rows' count cells: one request per 100 rows (GET stats/subscriptions), never one per row.
 * cells: Map of subscription id to its <td>.
 */
function fillCounts(api, config, cells) {
  if (!config.features.statistics) {
    for (const cell of cells.values()) fill(cell, h('span', { class: 'muted' }, 'n/a'));
    return Promise.resolve();
  }
  const ids = [...cells.keys()];
  const requests = [];
  for (let i = 0; i < ids.length; i += STATS_IDS_PER_REQUEST) {
    const chunk = ids.slice(i, i + STATS_IDS_PER_REQUEST);
    requests.push(api.statsBySubscription(chunk, '24h').then(
      (result) => {
        const byId = new Map(result.items.map((t) => [t.subscriptionId, t]));
        for (const id of chunk) {
          const t = byId.get(id) ?? { succeeded: 0, failed: 0 };
          fill(cells.get(id), h('span', { class: 'counts' },
            h('span', { class: 'count count-ok' }, `${t.succeeded.toLocaleString()} succeeded`),
            h('span', { class: 'count count-bad' }, `${t.failed.toLocaleString()} failed`)));
        }
      },
      () => { for (const id of chunk) fill(cells.get(id), h('span', { class: 'muted' }, 'unavailable')); }));
  }
  return Promise.all(requests);
}

export function stateCell(sub) {
  if (sub.active) return badge('ok', 'Active');
  return h('span', { class: 'state' },
    badge('off', 'Disabled'),
    sub.disabledReason ? h('span', { class: 'reason' }, sub.disabledReason) : null);
}

/**
 * How its deliveries are going, in words (never markup): "Failing since …" from the first failed
 * attempt to the next success, and the endpoint's circuit when it is not closed: paused after
 * repeated failures until a time, or probing with one delivery. Empty when all is well.
 */
export function healthNotes(sub) {
  const notes = [];
  if (sub.failingSince) notes.push(h('span', { class: 'health health-failing' }, 'Failing since ', time(sub.failingSince, true)));
  const circuit = sub.endpoint?.circuit;
  if (circuit === 'open') {
    notes.push(h('span', { class: 'health health-paused' }, sub.endpoint.openUntil
      ? ['Paused until ', time(sub.endpoint.openUntil, true), ' after repeated failures']
      : 'Paused after repeated failures'));
  } else if (circuit === 'halfOpen') {
    notes.push(h('span', { class: 'health health-probing' }, 'Probing: one delivery is trying whether the endpoint works again'));
  }
  return notes;
}

function row(sub, cells) {
  const countCell = h('td', { 'data-label': 'Attempts, 24 h' }, h('span', { class: 'muted' }, '…'));
  cells.set(sub.id, countCell);
  return h('tr', null,
    h('th', { scope: 'row', 'data-label': 'Name' },
      isId(sub.id, 'sub_') ? h('a', { href: `#/webhooks/${sub.id}` }, sub.name) : sub.name),
    h('td', { 'data-label': 'URL' }, h('span', { class: 'url' }, sub.url)),
    h('td', { 'data-label': 'Events' }, h('ul', { class: 'chips' }, sub.events.map((e) => h('li', null, e)))),
    h('td', { 'data-label': 'State' }, h('span', { class: 'state' }, stateCell(sub), healthNotes(sub))),
    countCell);
}

export async function listView(ctx) {
  const { api, config, main } = ctx;
  const page = await api.list();
  if (!ctx.alive()) return;

  const heading = h('div', { class: 'title-row' },
    h('h1', null, 'Webhooks'),
    config.readOnly ? null : h('a', { class: 'button primary', href: '#/new' }, 'New webhook'));
  const intro = h('p', { class: 'lead' }, 'Each webhook sends an HTTP POST to its URL when one of its events happens, signed so the receiver can check it came from us.');

  const summary = h('div', { class: 'summary' });
  if (config.features.statistics) {
    // Buckets start on whole multiples of their width: narrow ones keep the sum to the last 24 hours.
    api.stats({ window: '24h', bucket: '5m' }).then((s) => {
      if (!ctx.alive()) return;
      fill(summary,
        h('span', null, 'Delivery attempts in the last 24 hours, all webhooks: '),
        h('strong', { class: 'count count-ok' }, `${s.succeeded.toLocaleString()} succeeded`),
        h('strong', { class: 'count count-bad' }, `${s.failed.toLocaleString()} failed`));
    }, () => {});
  }

  if (page.items.length === 0) {
    fill(main, heading, intro,
      h('div', { class: 'panel empty' },
        h('h2', null, 'No webhooks yet'),
        config.readOnly
          ? h('p', null, 'Nobody has created a webhook for this account.')
          : h('p', null, 'Create one to receive events at your own URL.'),
        config.readOnly ? null : h('a', { class: 'button primary', href: '#/new' }, 'Create your first webhook')));
    ctx.ready('Webhooks');
    return;
  }

  const cells = new Map();
  const tbody = h('tbody', null, page.items.map((sub) => row(sub, cells)));
  fillCounts(api, config, cells);
  const table = h('table', { class: 'table responsive' },
    h('caption', { class: 'visually-hidden' }, 'Your webhooks'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Name'),
      h('th', { scope: 'col' }, 'URL'),
      h('th', { scope: 'col' }, 'Events'),
      h('th', { scope: 'col' }, 'State'),
      h('th', { scope: 'col' }, 'Attempts, last 24 hours'))),
    tbody);

  const more = h('div', { class: 'more' });
  let cursor = page.nextCursor;
  const showMore = () => {
    if (!cursor) {
      fill(more);
      return;
    }
    fill(more, h('button', {
      type: 'button',
      class: 'button',
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          const next = await api.list(cursor);
          cursor = next.nextCursor;
          const added = new Map();
          const rows = next.items.map((sub) => row(sub, added));
          tbody.append(...rows);
          fillCounts(api, config, added);
          ctx.announce(`${rows.length} more webhooks shown.`);
          rows[0]?.querySelector('a')?.focus();
          showMore();
        } catch (error) {
          event.target.disabled = false;
          ctx.announce(describe(error).title);
        }
      },
    }, 'Show more'));
  };
  showMore();

  fill(main, heading, intro, summary, h('div', { class: 'table-wrap' }, table), more);
  ctx.ready('Webhooks');
}
