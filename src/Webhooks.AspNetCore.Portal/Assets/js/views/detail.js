// One webhook: its settings, the actions on it (edit, test, enable or disable, rotate the secret,
// delete), its deliveries over time as a chart, its delivery log, and resending failed deliveries.
import { h, fill, time, duration, badge } from '../dom.js';
import { describe } from '../api.js';
import { confirm, showSecret } from '../dialogs.js';
import { chart } from '../chart.js';
import { deliveryLog } from './log.js';
import { stateCell } from './list.js';

const AUTH_LABELS = { none: 'None', basic: 'Basic', bearer: 'Bearer token', apiKey: 'API key header' };

/** What a test send did, in words. */
export function testResult(result) {
  const ok = result.succeeded;
  const headline = result.statusCode
    ? `Your endpoint answered ${result.statusCode} in ${duration(result.durationMs)}.`
    : `${result.error || 'Your endpoint did not answer.'} (${duration(result.durationMs)})`;
  return h('div', { class: `panel test-result ${ok ? 'is-ok' : 'is-bad'}` },
    h('p', null, badge(ok ? 'ok' : 'bad', ok ? 'Test succeeded' : 'Test failed'), ' ', headline),
    result.statusCode && result.error ? h('p', null, result.error) : null,
    result.responseExcerpt ? h('details', null, h('summary', null, 'Response'), h('pre', { class: 'excerpt' }, result.responseExcerpt)) : null);
}

/** Name and value pairs as a small list, or "None". */
function pairs(map) {
  const entries = Object.entries(map ?? {});
  if (entries.length === 0) return h('span', { class: 'muted' }, 'None');
  return h('ul', { class: 'pair-list' }, entries.map(([k, v]) => h('li', null, h('code', null, k), ': ', v)));
}

/**
 * How its deliveries are going: failing since when, and whether its endpoint is paused after repeated
 * failures (until when) or being probed. Text only; null when all is well.
 */
function healthPanel(sub) {
  const circuit = sub.endpoint?.circuit;
  const endpoint = sub.endpoint?.endpoint;
  const lines = [];
  if (sub.failingSince) {
    lines.push(h('p', { class: 'health health-failing' },
      h('strong', null, 'Failing since '), time(sub.failingSince), ': every attempt since then failed. Deliveries are retried; the next success ends this.'));
  }
  if (circuit === 'open') {
    lines.push(h('p', { class: 'health health-paused' },
      h('strong', null, 'Paused'), sub.endpoint.openUntil ? [' until ', time(sub.endpoint.openUntil)] : null,
      ' after repeated failures', endpoint ? [' of ', h('code', null, endpoint)] : null,
      '. Deliveries wait and are sent when the pause ends; their retries are not used up meanwhile.'));
  } else if (circuit === 'halfOpen') {
    lines.push(h('p', { class: 'health health-probing' },
      h('strong', null, 'Probing'), endpoint ? [' ', h('code', null, endpoint)] : null,
      ': one delivery is being sent to find out whether the endpoint works again; the others wait for its answer.'));
  }
  if (lines.length === 0) return null;
  return h('section', { class: 'panel warning-panel health-panel', 'aria-label': 'Delivery health' }, lines);
}

function definition(term, ...value) {
  return [h('dt', null, term), h('dd', null, ...value)];
}

function statsSection(ctx, sub) {
  const body = h('div', { class: 'chart-body' }, h('p', { class: 'loading' }, 'Loading…'));
  const windows = [['1h', '5m', 'Last hour'], ['24h', '1h', 'Last 24 hours'], ['7d', '6h', 'Last 7 days']];
  const select = h('select', { id: 'chart-window' }, windows.map(([w, , label]) => h('option', { value: w, selected: w === '24h' }, label)));
  const load = async () => {
    const [w, b, label] = windows.find(([x]) => x === select.value);
    try {
      const stats = await ctx.api.stats({ subscription: sub.id, window: w, bucket: b });
      if (!ctx.alive()) return;
      fill(body, chart(stats, `Delivery attempts of ${sub.name}, ${label.toLowerCase()}`, body.clientWidth || 640));
    } catch (error) {
      fill(body, h('p', { role: 'alert' }, describe(error).title));
    }
  };
  select.addEventListener('change', load);
  return {
    element: h('section', { class: 'panel', 'aria-labelledby': 'chart-heading' },
      h('div', { class: 'section-head' },
        h('h2', { id: 'chart-heading' }, 'Delivery attempts over time'),
        h('label', { class: 'inline' }, 'Period ', select)),
      body),
    load,
  };
}

function recoverSection(ctx, sub) {
  const output = h('p', { class: 'muted', 'aria-live': 'polite' });
  const since = h('input', { type: 'datetime-local', id: 'recover-since', required: true });
  const yesterday = new Date(Date.now() - 24 * 3600 * 1000);
  since.value = new Date(yesterday.getTime() - yesterday.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const form = h('form', {
    class: 'inline-form',
    onsubmit: async (event) => {
      event.preventDefault();
      const when = new Date(since.value);
      if (Number.isNaN(when.getTime())) {
        fill(output, 'Pick a date and time.');
        return;
      }
      try {
        const result = await ctx.api.recover(sub.id, when.toISOString());
        fill(output, result.requeued === 0 ? 'No failed deliveries since then.' : `${result.requeued} failed ${result.requeued === 1 ? 'delivery was' : 'deliveries were'} queued to be sent again.`);
      } catch (error) {
        const { title, detail } = describe(error);
        fill(output, `${title} ${detail}`);
      }
    },
  },
  h('label', { for: 'recover-since' }, 'Failed since'),
  since,
  h('button', { type: 'submit', class: 'button' }, 'Resend failed deliveries'));
  return h('section', { class: 'panel', 'aria-labelledby': 'recover-heading' },
    h('h2', { id: 'recover-heading' }, 'Resend failed deliveries'),
    h('p', { class: 'hint' }, 'For example after your endpoint was down: every delivery that failed since then is sent again.'),
    form,
    output);
}

export async function detailView(ctx, id) {
  const { api, config, main } = ctx;
  let sub = await api.get(id);
  if (!ctx.alive()) return;
  const writable = !config.readOnly;

  const status = h('div', { class: 'action-output', 'aria-live': 'polite' });
  const run = async (button, action) => {
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      const { title, detail } = describe(error);
      fill(status, h('div', { class: 'panel error-panel', role: 'alert' }, h('strong', null, title), ' ', detail));
    } finally {
      button.disabled = false;
    }
  };

  const toolbar = h('div', { class: 'toolbar' });
  const renderToolbar = () => {
    if (!writable) return;
    const toggle = h('button', {
      type: 'button',
      class: 'button',
      onclick: (e) => run(e.currentTarget, async () => {
        sub = sub.active ? await api.disable(sub.id) : await api.enable(sub.id);
        ctx.announce(sub.active ? 'Webhook enabled.' : 'Webhook disabled.');
        renderHeader();
        renderToolbar();
        toolbar.querySelector('[data-action="toggle"]').focus();
      }),
      'data-action': 'toggle',
    }, sub.active ? 'Disable' : 'Enable');
    const test = h('button', {
      type: 'button',
      class: 'button',
      onclick: (e) => run(e.currentTarget, async () => {
        fill(status, h('p', { class: 'muted' }, 'Sending a test event…'));
        fill(status, testResult(await api.test(sub.id)));
      }),
    }, 'Send test');
    const rotate = h('button', {
      type: 'button',
      class: 'button',
      onclick: (e) => run(e.currentTarget, async () => {
        const yes = await confirm({
          title: 'Rotate the signing secret?',
          message: 'A new secret is made and shown once. The current one keeps signing deliveries for a grace period, so you have time to update your receiver.',
          action: 'Yes, proceed',
          danger: false,
        });
        if (!yes) return;
        const rotated = await api.rotate(sub.id);
        sub = rotated;
        await showSecret({ title: 'New signing secret', intro: 'Update your receiver with this secret.', secret: rotated.secret });
        renderSettings();
      }),
    }, 'Rotate secret');
    const remove = h('button', {
      type: 'button',
      class: 'button danger',
      onclick: (e) => run(e.currentTarget, async () => {
        const yes = await confirm({
          title: `Delete the webhook "${sub.name}"?`,
          message: 'Deliveries to it stop at once, including pending ones. This cannot be undone.',
        });
        if (!yes) return;
        await api.remove(sub.id, sub.version);
        ctx.announce(`Webhook ${sub.name} deleted.`);
        ctx.navigate('#/');
      }),
    }, 'Delete');
    fill(toolbar, h('a', { class: 'button', href: `#/webhooks/${sub.id}/edit` }, 'Edit'), test, toggle, rotate, remove);
  };

  const header = h('div', { class: 'title-row title-start' });
  const reason = h('div');
  const health = h('div');
  const renderHeader = () => {
    fill(header, h('h1', null, sub.name), stateCell({ ...sub, disabledReason: null }));
    fill(reason, !sub.active && sub.disabledReason
      ? h('p', { class: 'panel warning-panel' }, h('strong', null, 'Disabled automatically: '), sub.disabledReason)
      : null);
    fill(health, healthPanel(sub));
  };

  const settings = h('dl', { class: 'settings' });
  const renderSettings = () => {
    const auth = sub.auth ?? { type: 'none' };
    fill(settings,
      definition('URL', h('span', { class: 'url' }, sub.url)),
      definition('Events', h('ul', { class: 'chips' }, sub.events.map((e) => h('li', null, e)))),
      definition('Description', sub.description ? sub.description : h('span', { class: 'muted' }, 'None')),
      definition('Authentication', AUTH_LABELS[auth.type] ?? auth.type,
        auth.username ? ` (user ${auth.username})` : null,
        auth.headerName ? ` (header ${auth.headerName})` : null),
      definition('Custom headers', pairs(sub.headers)),
      definition('Attribute filter', pairs(Object.fromEntries(Object.entries(sub.filter ?? {}).map(([k, v]) => [k, v.join(', ')])))),
      definition('Payload filter', sub.payloadFilter ? h('pre', { class: 'excerpt' }, JSON.stringify(sub.payloadFilter, null, 2)) : h('span', { class: 'muted' }, 'None: every event picked is delivered')),
      definition('Metadata', pairs(sub.metadata)),
      definition('Rate limit', sub.rateLimit
        ? `${sub.rateLimit.toLocaleString()} ${sub.rateLimit === 1 ? 'delivery' : 'deliveries'} per second`
        : h('span', { class: 'muted' }, 'None: deliveries are sent as they come')),
      definition('Ordered delivery', sub.ordered
        ? 'On: events with the same ordering key arrive one at a time, in the order they happened'
        : h('span', { class: 'muted' }, 'Off')),
      definition('Signature scheme', sub.signatureScheme ? h('code', null, sub.signatureScheme) : h('span', { class: 'muted' }, `Site default (${ctx.config.defaultSignatureScheme ?? 'standard'})`)),
      definition('Signing secret', h('code', null, sub.secret)),
      definition('Created', time(sub.createdAt)),
      definition('Last changed', time(sub.updatedAt)));
  };

  renderHeader();
  renderToolbar();
  renderSettings();

  const parts = [
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Webhooks'), ' › ', h('span', { 'aria-current': 'page' }, sub.name)),
    header,
    reason,
    health,
    toolbar,
    status,
    h('section', { class: 'panel', 'aria-labelledby': 'settings-heading' }, h('h2', { id: 'settings-heading' }, 'Settings'), settings),
  ];

  let stats = null;
  if (config.features.statistics) {
    stats = statsSection(ctx, sub);
    parts.push(stats.element);
  }

  if (config.features.log) {
    const log = deliveryLog(ctx, { subscriptionId: sub.id, onRefresh: () => stats?.load() });
    parts.push(h('section', { class: 'panel', 'aria-labelledby': 'log-heading' },
      h('div', { class: 'section-head' }, h('h2', { id: 'log-heading' }, 'Delivery log'), log.refresh),
      log.element));
    log.load();
  }

  if (config.features.redelivery && writable) {
    parts.push(recoverSection(ctx, sub));
  }

  fill(main, ...parts);
  stats?.load();
  ctx.ready(sub.name);
}
