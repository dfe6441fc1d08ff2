// The delivery log (seed 003's "View Logs"): one webhook's or all of the owner's, newest first,
// filtered by status (and, owner-wide, by event type and webhook), a page at a time.
import { h, fill, time, statusBadge, isId } from '../dom.js';
import { describe } from '../api.js';

const PAGE_SIZE = 20;

/** The log as a component: filters, a table and "Show more"; load() fetches the first page. */
export function deliveryLog(ctx, { subscriptionId = null, names = null, catalog = null, onRefresh = null } = {}) {
  const { api } = ctx;
  const ownerWide = subscriptionId === null;
  const filterId = ownerWide ? 'log-status' : 'sub-log-status';
  const status = h('select', { id: filterId },
    h('option', { value: '' }, 'All'),
    h('option', { value: 'failed' }, 'Failed'),
    h('option', { value: 'succeeded' }, 'Succeeded'),
    h('option', { value: 'pending' }, 'Pending'));
  const eventType = ownerWide && catalog ? h('select', { id: 'log-event' },
    h('option', { value: '' }, 'All'),
    (catalog.groups ?? []).flatMap((g) => g.eventTypes.map((t) => h('option', { value: t.name }, t.name)))) : null;
  const webhook = ownerWide && names ? h('select', { id: 'log-webhook' },
    h('option', { value: '' }, 'All'),
    [...names].map(([id, name]) => h('option', { value: id }, name))) : null;

  const body = h('div', { class: 'log-body' });
  const more = h('div', { class: 'more' });
  let cursor = null;
  let tbody = null;

  const link = (d) => {
    if (!isId(d.id, 'dlv_')) return d.eventType;
    const href = ownerWide || !isId(d.subscriptionId, 'sub_') ? `#/deliveries/${d.id}` : `#/webhooks/${d.subscriptionId}/deliveries/${d.id}`;
    return h('a', { href }, time(d.createdAt));
  };

  const row = (d) => h('tr', null,
    h('th', { scope: 'row', 'data-label': 'Created' }, link(d)),
    ownerWide ? h('td', { 'data-label': 'Webhook' }, names?.get(d.subscriptionId) ?? d.subscriptionId) : null,
    h('td', { 'data-label': 'Event' }, h('code', null, d.eventType),
      d.orderingKey ? h('span', { class: 'ordering-key' }, 'Key ', h('code', null, d.orderingKey)) : null),
    h('td', { 'data-label': 'Status' }, statusBadge(d.status, d.attemptCount)),
    h('td', { 'data-label': 'Attempts' }, String(d.attemptCount)),
    h('td', { 'data-label': 'Last answer' }, d.lastStatusCode ? String(d.lastStatusCode) : (d.lastError ? h('span', { class: 'error-text' }, d.lastError) : h('span', { class: 'muted' }, '—'))));

  const query = () => ({ status: status.value, eventType: eventType?.value, subscription: webhook?.value, limit: PAGE_SIZE, cursor });

  const showMore = () => {
    fill(more, cursor ? h('button', {
      type: 'button',
      class: 'button',
      onclick: async (event) => {
        event.currentTarget.disabled = true;
        try {
          const page = await api.deliveries(subscriptionId, query());
          cursor = page.nextCursor;
          const rows = page.items.map(row);
          tbody.append(...rows);
          ctx.announce(`${rows.length} more deliveries shown.`);
          rows[0]?.querySelector('a')?.focus();
          showMore();
        } catch (error) {
          ctx.announce(describe(error).title);
        }
      },
    }, 'Show older deliveries') : null);
  };

  const load = async () => {
    cursor = null;
    body.setAttribute('aria-busy', 'true');
    try {
      const page = await api.deliveries(subscriptionId, query());
      if (!ctx.alive()) return;
      cursor = page.nextCursor;
      if (page.items.length === 0) {
        tbody = null;
        fill(body, h('p', { class: 'empty-text' }, status.value || eventType?.value || webhook?.value
          ? 'No deliveries match these filters.'
          : 'No deliveries yet. They appear here when events are published.'));
      } else {
        tbody = h('tbody', null, page.items.map(row));
        fill(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive log' },
          h('caption', { class: 'visually-hidden' }, 'Deliveries, newest first'),
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'Created'),
            ownerWide ? h('th', { scope: 'col' }, 'Webhook') : null,
            h('th', { scope: 'col' }, 'Event'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Attempts'),
            h('th', { scope: 'col' }, 'Last answer'))),
          tbody)));
      }
      showMore();
    } catch (error) {
      const { title, detail } = describe(error);
      fill(body, h('div', { class: 'panel error-panel', role: 'alert' }, h('strong', null, title), ' ', detail));
      fill(more);
    } finally {
      body.setAttribute('aria-busy', 'false');
    }
  };

  for (const select of [status, eventType, webhook]) select?.addEventListener('change', load);
  const refresh = h('button', { type: 'button', class: 'button small', onclick: async () => { await Promise.all([load(), onRefresh?.()]); ctx.announce('Delivery log refreshed.'); } }, 'Refresh');

  const filters = h('div', { class: 'filters' },
    h('label', { for: filterId }, 'Status'), status,
    eventType ? [h('label', { for: 'log-event' }, 'Event'), eventType] : null,
    webhook ? [h('label', { for: 'log-webhook' }, 'Webhook'), webhook] : null);

  return { element: h('div', { class: 'log' }, filters, body, more), load, refresh };
}

/** The owner-wide log: every delivery to any of the owner's webhooks. */
export async function logView(ctx) {
  const { api, config, main } = ctx;
  if (!config.features.log) {
    fill(main, h('h1', null, 'Delivery log'), h('p', null, 'This site does not keep a delivery log.'));
    ctx.ready('Delivery log');
    return;
  }

  const [subs, catalog] = await Promise.all([api.list(), api.catalog()]);
  if (!ctx.alive()) return;
  const names = new Map(subs.items.map((s) => [s.id, s.name]));
  const log = deliveryLog(ctx, { names, catalog });
  fill(main,
    h('div', { class: 'title-row' }, h('h1', null, 'Delivery log'), log.refresh),
    h('p', { class: 'lead' }, 'Every delivery to any of your webhooks, newest first. Open one to see its attempts.'),
    log.element);
  await log.load();
  ctx.ready('Delivery log');
}
