// One delivery and its attempts: when, how long, the status code, the start of the answer, the error;
// and sending it again.
import { h, fill, time, duration, statusBadge, badge, isId } from '../dom.js';
import { describe } from '../api.js';

function attempts(list) {
  if (!list || list.length === 0) return h('p', { class: 'muted' }, 'No attempt has been made yet.');
  return h('ol', { class: 'attempts' }, list.map((a) => h('li', { class: 'panel attempt' },
    h('div', { class: 'attempt-head' },
      h('h3', null, `Attempt ${a.number}`),
      a.succeeded ? badge('ok', 'Succeeded') : badge('bad', 'Failed')),
    h('dl', { class: 'settings compact' },
      h('dt', null, 'Started'), h('dd', null, time(a.startedAt)),
      h('dt', null, 'Duration'), h('dd', null, duration(a.durationMs)),
      h('dt', null, 'Status code'), h('dd', null, a.statusCode ? String(a.statusCode) : h('span', { class: 'muted' }, 'No answer')),
      a.error ? [h('dt', null, 'Error'), h('dd', { class: 'error-text' }, a.error)] : null),
    a.responseExcerpt
      ? h('details', null, h('summary', null, 'Response'), h('pre', { class: 'excerpt' }, a.responseExcerpt))
      : null)));
}

export async function deliveryView(ctx, subscriptionId, deliveryId) {
  const { api, config, main } = ctx;
  let d = await api.delivery(deliveryId);
  if (!ctx.alive()) return;
  const subId = isId(d.subscriptionId, 'sub_') ? d.subscriptionId : null;
  let subName = null;
  if (subId) {
    try {
      subName = (await api.get(subId)).name;
    } catch {
      subName = null; // deleted since: the delivery still shows
    }
  }
  if (!ctx.alive()) return;

  const output = h('div', { 'aria-live': 'polite' });
  const summary = h('dl', { class: 'settings' });
  const list = h('div');
  const actions = h('div', { class: 'toolbar' });

  const render = () => {
    fill(summary,
      h('dt', null, 'Status'), h('dd', null, statusBadge(d.status, d.attemptCount)),
      h('dt', null, 'Event'), h('dd', null, h('code', null, d.eventType)),
      d.orderingKey ? [h('dt', null, 'Ordering key'), h('dd', null, h('code', null, d.orderingKey))] : null,
      h('dt', null, 'Webhook'), h('dd', null, subName && subId ? h('a', { href: `#/webhooks/${subId}` }, subName) : d.subscriptionId),
      h('dt', null, 'Created'), h('dd', null, time(d.createdAt)),
      d.status === 'pending' && d.nextAttemptAt ? [h('dt', null, 'Next attempt'), h('dd', null, time(d.nextAttemptAt))] : null,
      h('dt', null, 'Message id'), h('dd', null, h('code', null, d.messageId)));
    fill(list, attempts(d.attempts));
    const canRedeliver = config.features.redelivery && !config.readOnly && subId;
    fill(actions,
      canRedeliver && d.status !== 'pending' ? h('button', {
        type: 'button',
        class: 'button primary',
        onclick: async (event) => {
          const button = event.currentTarget;
          button.disabled = true;
          try {
            await api.redeliver(subId, d.id);
            fill(output, h('p', { class: 'panel' }, 'Queued to be sent again. Refresh to see the new attempt.'));
            d = await api.delivery(d.id);
            render();
            actions.querySelector('button')?.focus();
          } catch (error) {
            const { title, detail } = describe(error);
            fill(output, h('div', { class: 'panel error-panel', role: 'alert' }, h('strong', null, title), ' ', detail));
            button.disabled = false;
          }
        },
      }, 'Redeliver') : null,
      h('button', {
        type: 'button',
        class: 'button',
        onclick: async () => {
          try {
            d = await api.delivery(d.id);
            render();
            ctx.announce(`Delivery ${d.status}.`);
          } catch (error) {
            fill(output, h('p', { role: 'alert' }, describe(error).title));
          }
        },
      }, 'Refresh'));
  };
  render();

  const back = subscriptionId && subName
    ? [h('a', { href: '#/' }, 'Webhooks'), ' › ', h('a', { href: `#/webhooks/${subscriptionId}` }, subName)]
    : [h('a', { href: '#/deliveries' }, 'Delivery log')];
  fill(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, ...back, ' › ', h('span', { 'aria-current': 'page' }, 'Delivery')),
    h('h1', null, `Delivery of ${d.eventType}`),
    actions,
    output,
    h('section', { class: 'panel', 'aria-labelledby': 'delivery-heading' }, h('h2', { id: 'delivery-heading', class: 'visually-hidden' }, 'Details'), summary),
    h('section', { 'aria-labelledby': 'attempts-heading' }, h('h2', { id: 'attempts-heading' }, 'Attempts'), list));
  ctx.ready(`Delivery of ${d.eventType}`);
}
