// Create or edit a webhook: every field of the API (name, URL, description, authentication, events
// from the catalog grouped by resource with descriptions, custom headers, attribute and payload
// filters, metadata, signature scheme), a test of the unsaved settings, and the API's validation
// errors shown beside their fields. After creation the secret is shown once. How deliveries are sent
// (a rate limit, ordered delivery per key) has a section of its own.
import { h, fill, id as uid } from '../dom.js';
import { ApiError, describe } from '../api.js';
import { showSecret } from '../dialogs.js';
import { testResult } from './detail.js';

const SCHEME_LABELS = {
  'standard-webhooks': 'Standard Webhooks (HMAC-SHA256, webhook-signature header)',
  'hmac-sha256': 'HMAC-SHA256 in hex, in one header',
  'standard-webhooks-ed25519': 'Standard Webhooks with Ed25519 (public key)',
};

const AUTH_TYPES = [
  ['none', 'None'],
  ['basic', 'Basic (user name and password)'],
  ['bearer', 'Bearer token'],
  ['apiKey', 'API key in a header'],
];

/** A labelled input with a hint and a place for its error, wired with aria-describedby. */
function field({ name, label, hint, input }) {
  const inputId = `f-${name}`;
  const hintId = hint ? `${inputId}-hint` : null;
  const errorId = `${inputId}-error`;
  input.id = inputId;
  input.name = name;
  input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const wrapper = h('div', { class: 'field', 'data-field': name },
    h('label', { for: inputId }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    input,
    error);
  return { wrapper, input, error };
}

/** A checkbox with its label after it, a hint and a place for its error: the same shape as field(). */
function checkField({ name, label, hint, checked }) {
  const inputId = `f-${name}`;
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  const input = h('input', { type: 'checkbox', id: inputId, name, checked, 'aria-describedby': `${hintId} ${errorId}` });
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const wrapper = h('div', { class: 'field', 'data-field': name },
    h('div', { class: 'check' },
      input,
      h('label', { for: inputId }, label),
      h('p', { class: 'event-desc', id: hintId }, hint)),
    error);
  return { wrapper, input, error };
}

/** How deliveries are sent: the rate limit (empty for none) and ordered delivery per ordering key. */
function deliverySection(existing) {
  const rateLimit = field({
    name: 'rateLimit',
    label: 'Rate limit (deliveries per second)',
    hint: 'At most this many deliveries per second to this webhook, from 1 to 10,000. Deliveries over it wait their turn; none is dropped. Empty: no limit.',
    input: h('input', { type: 'number', min: '1', max: '10000', step: '1', inputmode: 'numeric', autocomplete: 'off', value: existing?.rateLimit ? String(existing.rateLimit) : '' }),
  });
  const ordered = checkField({
    name: 'ordered',
    label: 'Ordered delivery',
    hint: 'Events with the same ordering key (such as an order id) arrive one at a time, in the order they happened: the next waits until the one before succeeded or was given up.',
    checked: existing?.ordered === true,
  });
  const element = h('fieldset', { class: 'group' },
    h('legend', null, 'Delivery'),
    rateLimit.wrapper,
    ordered.wrapper);
  return { element, rateLimit, ordered };
}

function eventsPicker(catalog, selected) {
  const chosen = new Set(selected);
  const known = new Set(['*']);
  const boxes = [];
  const errorId = 'f-events-error';
  const box = (value, labelText, description, extraClass) => {
    const inputId = uid('ev');
    const input = h('input', { type: 'checkbox', id: inputId, value, checked: chosen.has(value), 'aria-describedby': description ? `${inputId}-d` : null });
    boxes.push(input);
    known.add(value);
    return h('div', { class: `check ${extraClass ?? ''}` },
      input,
      h('label', { for: inputId }, h('span', { class: 'event-name' }, labelText)),
      description ? h('p', { class: 'event-desc', id: `${inputId}-d` }, description) : null);
  };

  const all = box('*', 'All events', 'Every event, including ones added later.', 'check-all');
  const groups = (catalog.groups ?? []).map((g) => {
    const legend = g.name ? `${g.name}` : 'Other events';
    return h('fieldset', { class: 'event-group' },
      h('legend', null, legend),
      g.pattern ? box(g.pattern, `All ${g.name} events`, `${g.pattern}: every ${g.name} event, including ones added later.`, 'check-all') : null,
      g.eventTypes.map((t) => box(
        t.name,
        t.name,
        [t.description, t.version ? `Version ${t.version}.` : null, t.deprecated ? 'Deprecated.' : null].filter(Boolean).join(' '),
        t.deprecated ? 'deprecated' : null)));
  });

  // Patterns the catalog does not list (set through the API) stay selectable, so saving keeps them.
  const extras = [...chosen].filter((e) => !known.has(e));
  const extraGroup = extras.length === 0 ? null : h('fieldset', { class: 'event-group' },
    h('legend', null, 'Other patterns'),
    extras.map((e) => box(e, e, null)));

  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const element = h('fieldset', { class: 'field events', 'data-field': 'events', 'aria-describedby': `f-events-hint ${errorId}` },
    h('legend', null, 'Events'),
    h('p', { class: 'hint', id: 'f-events-hint' }, 'Pick the events this webhook receives.'),
    error,
    all,
    groups,
    extraGroup);
  return {
    element,
    error,
    first: () => boxes[0],
    value: () => {
      const values = boxes.filter((b) => b.checked).map((b) => b.value);
      if (values.includes('*')) return ['*'];
      // A group's pattern covers its events: send the pattern alone.
      const patterns = values.filter((v) => v.endsWith('.*')).map((v) => v.slice(0, -1));
      return values.filter((v) => v.endsWith('.*') || !patterns.some((p) => v.startsWith(p)));
    },
  };
}

/**
 * Rows of name and value (custom headers, metadata, attribute filters), each row labelled, with
 * "Add" and "Remove" buttons; its errors are shown under it. entries: [[name, value], ...].
 */
function pairsEditor({ name, legend, hint, keyLabel, valueLabel, valueHint, addLabel, entries, keyPlaceholder, valuePlaceholder }) {
  const rows = h('div', { class: 'pairs-rows' });
  const hintId = `f-${name}-hint`;
  const errorId = `f-${name}-error`;
  const error = h('p', { class: 'field-error', id: errorId, hidden: true });
  const list = [];

  const renumber = () => {
    list.forEach((r, i) => {
      r.keyLabel.textContent = `${keyLabel} ${i + 1}`;
      r.valueLabel.textContent = `${valueLabel} ${i + 1}`;
      r.remove.setAttribute('aria-label', `Remove ${keyLabel.toLowerCase()} ${i + 1}`);
    });
    empty.hidden = list.length > 0;
  };

  const addRow = (key = '', value = '', focus = false) => {
    const keyId = uid(`${name}-k`);
    const valueId = uid(`${name}-v`);
    const keyInput = h('input', { type: 'text', id: keyId, autocomplete: 'off', spellcheck: 'false', value: key, placeholder: keyPlaceholder ?? '' });
    const valueInput = h('input', { type: 'text', id: valueId, autocomplete: 'off', spellcheck: 'false', value, placeholder: valuePlaceholder ?? '', 'aria-describedby': valueHint ? `${hintId}` : null });
    const r = {
      keyInput,
      valueInput,
      keyLabel: h('label', { for: keyId }),
      valueLabel: h('label', { for: valueId }),
      remove: h('button', { type: 'button', class: 'button small' }, 'Remove'),
    };
    r.element = h('div', { class: 'pair' },
      h('div', { class: 'pair-key' }, r.keyLabel, keyInput),
      h('div', { class: 'pair-value' }, r.valueLabel, valueInput),
      h('div', { class: 'pair-remove' }, r.remove));
    r.remove.addEventListener('click', () => {
      const at = list.indexOf(r);
      list.splice(at, 1);
      r.element.remove();
      renumber();
      (list[at]?.keyInput ?? list[at - 1]?.keyInput ?? add).focus();
    });
    list.push(r);
    rows.append(r.element);
    renumber();
    if (focus) keyInput.focus();
  };

  const empty = h('p', { class: 'muted pairs-empty' }, 'None.');
  const add = h('button', { type: 'button', class: 'button small', onclick: () => addRow('', '', true) }, addLabel);
  for (const [k, v] of entries) addRow(k, v);
  renumber();

  const element = h('fieldset', { class: 'field pairs', 'data-field': name, 'aria-describedby': `${hintId} ${errorId}` },
    h('legend', null, legend),
    h('p', { class: 'hint', id: hintId }, hint),
    error,
    empty,
    rows,
    add);

  return {
    element,
    error,
    focusTarget: () => list[0]?.keyInput ?? add,
    /** The filled rows as [name, value] pairs (rows with neither are ignored). */
    entries: () => list.map((r) => [r.keyInput.value.trim(), r.valueInput.value]).filter(([k, v]) => k !== '' || v.trim() !== ''),
  };
}

/** Rows whose names repeat (case-insensitively, as HTTP header names do), or that lack a name. */
function pairProblems(entries, what, caseInsensitive) {
  const seen = new Set();
  for (const [k] of entries) {
    if (k === '') return `Every ${what} needs a name.`;
    const key = caseInsensitive ? k.toLowerCase() : k;
    if (seen.has(key)) return `'${k}' is given more than once; give each ${what} once.`;
    seen.add(key);
  }
  return null;
}

function authSection(existing) {
  const type = h('select', null, AUTH_TYPES.map(([value, label]) => h('option', { value, selected: (existing?.type ?? 'none') === value }, label)));
  const keep = existing && existing.type !== 'none';
  const secretHint = keep ? 'Leave empty to keep the saved value.' : null;
  const fields = {
    type: field({ name: 'auth.type', label: 'Type', hint: 'How each delivery proves itself to your endpoint, besides the signature.', input: type }),
    username: field({ name: 'auth.username', label: 'User name', input: h('input', { type: 'text', autocomplete: 'off', value: existing?.username ?? '' }) }),
    password: field({ name: 'auth.password', label: 'Password', hint: secretHint, input: h('input', { type: 'password', autocomplete: 'new-password' }) }),
    token: field({ name: 'auth.token', label: 'Token', hint: secretHint ?? 'Sent as Authorization: Bearer <token>.', input: h('input', { type: 'password', autocomplete: 'off' }) }),
    headerName: field({ name: 'auth.headerName', label: 'Header name', hint: 'Such as X-Api-Key.', input: h('input', { type: 'text', autocomplete: 'off', value: existing?.headerName ?? 'X-Api-Key' }) }),
    key: field({ name: 'auth.key', label: 'API key', hint: secretHint, input: h('input', { type: 'password', autocomplete: 'off' }) }),
  };
  const byType = { basic: ['username', 'password'], bearer: ['token'], apiKey: ['headerName', 'key'], none: [] };
  const sync = () => {
    for (const name of ['username', 'password', 'token', 'headerName', 'key']) {
      fields[name].wrapper.hidden = !byType[type.value].includes(name);
    }
  };
  type.addEventListener('change', sync);
  sync();

  const element = h('fieldset', { class: 'group' },
    h('legend', null, 'Authentication'),
    fields.type.wrapper, fields.username.wrapper, fields.password.wrapper, fields.token.wrapper, fields.headerName.wrapper, fields.key.wrapper);

  return {
    element,
    fields,
    /** The auth to send, or undefined to leave the saved one unchanged (an edit that did not touch it). */
    value: () => {
      const t = type.value;
      const v = (name) => fields[name].input.value;
      const auth = t === 'basic' ? { type: t, username: v('username'), password: v('password') }
        : t === 'bearer' ? { type: t, token: v('token') }
          : t === 'apiKey' ? { type: t, headerName: v('headerName'), key: v('key') }
            : { type: 'none' };
      if (existing) {
        const secretsEmpty = !v('password') && !v('token') && !v('key');
        const unchanged = t === existing.type && secretsEmpty
          && (t !== 'basic' || v('username') === (existing.username ?? ''))
          && (t !== 'apiKey' || v('headerName') === (existing.headerName ?? ''));
        if (unchanged) return undefined;
      }
      return auth;
    },
  };
}

export async function formView(ctx, subscriptionId) {
  const { api, config, main } = ctx;
  const editing = subscriptionId !== null;
  const title = editing ? 'Edit webhook' : 'New webhook';
  if (config.readOnly) {
    fill(main, h('h1', null, title), h('p', null, 'You opened a read-only link, so you cannot create or change webhooks.'), h('a', { href: '#/' }, 'Back to your webhooks'));
    ctx.ready(title);
    return;
  }

  const [catalog, existing] = await Promise.all([api.catalog(), editing ? api.get(subscriptionId) : Promise.resolve(null)]);
  if (!ctx.alive()) return;

  const name = field({ name: 'name', label: 'Name', hint: 'Unique among your webhooks, such as "Orders to ERP".', input: h('input', { type: 'text', maxlength: '200', required: true, autocomplete: 'off', value: existing?.name ?? '' }) });
  const url = field({ name: 'url', label: 'URL', hint: 'Where deliveries are sent: https://…', input: h('input', { type: 'url', inputmode: 'url', required: true, autocomplete: 'off', spellcheck: 'false', value: existing?.url ?? '', placeholder: 'https://example.com/webhooks' }) });
  const description = field({ name: 'description', label: 'Description (optional)', input: h('textarea', { rows: '2', maxlength: '1024' }) });
  description.input.value = existing?.description ?? '';
  const auth = authSection(existing?.auth ?? null);
  const events = eventsPicker(catalog, existing?.events ?? []);
  const delivery = deliverySection(existing);

  const headers = pairsEditor({
    name: 'headers',
    legend: 'Custom headers',
    hint: 'Extra HTTP headers sent with every delivery (at most 20), such as X-Tenant. The signature, authentication and transport headers are set by the site.',
    keyLabel: 'Header name',
    valueLabel: 'Header value',
    addLabel: 'Add header',
    keyPlaceholder: 'X-Tenant',
    entries: Object.entries(existing?.headers ?? {}),
  });
  const filter = pairsEditor({
    name: 'filter',
    legend: 'Attribute filter',
    hint: 'Deliver only events published with these attributes: for each attribute, the values allowed, separated by commas (such as region: eu, us). Empty: every event picked above.',
    keyLabel: 'Attribute',
    valueLabel: 'Allowed values',
    addLabel: 'Add attribute',
    keyPlaceholder: 'region',
    valuePlaceholder: 'eu, us',
    entries: Object.entries(existing?.filter ?? {}).map(([k, v]) => [k, v.join(', ')]),
  });
  const payloadFilter = field({
    name: 'payloadFilter',
    label: 'Payload filter (optional)',
    hint: 'Deliver only events whose content matches: a JSON object of conditions on type and data (dotted paths), all of which must hold, such as {"data.total": {"$gte": 100}}. Operators: $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists, $not, $and, $or.',
    input: h('textarea', { rows: '4', class: 'mono', spellcheck: 'false', autocomplete: 'off', placeholder: '{"data.status": {"$in": ["shipped", "delivered"]}}' }),
  });
  payloadFilter.input.value = existing?.payloadFilter ? JSON.stringify(existing.payloadFilter, null, 2) : '';
  const metadata = pairsEditor({
    name: 'metadata',
    legend: 'Metadata',
    hint: 'Your own notes as key and value (at most 50): kept with the webhook, never sent to the receiver.',
    keyLabel: 'Key',
    valueLabel: 'Value',
    addLabel: 'Add metadata',
    entries: Object.entries(existing?.metadata ?? {}),
  });
  const schemes = config.signatureSchemes ?? [];
  const current = existing?.signatureScheme ?? '';
  const scheme = field({
    name: 'signatureScheme',
    label: 'Signature scheme',
    hint: 'How each delivery is signed, so the receiver can check it came from this site.',
    input: h('select', null,
      current === '' ? h('option', { value: '', selected: true }, `Site default (${SCHEME_LABELS[config.defaultSignatureScheme] ?? config.defaultSignatureScheme ?? 'standard'})`) : null,
      schemes.map((x) => h('option', { value: x, selected: x === current }, SCHEME_LABELS[x] ?? x))),
  });
  const hasAdvanced = Object.keys(existing?.headers ?? {}).length + Object.keys(existing?.metadata ?? {}).length
    + Object.keys(existing?.filter ?? {}).length + (existing?.payloadFilter ? 1 : 0) + (existing?.signatureScheme ? 1 : 0) > 0;
  const advanced = h('details', { class: 'advanced', open: hasAdvanced },
    h('summary', null, 'More settings: custom headers, filters, metadata, signature'),
    headers.element,
    filter.element,
    payloadFilter.wrapper,
    metadata.element,
    scheme.wrapper);

  const fields = {
    name, url, description, payloadFilter, signatureScheme: scheme,
    rateLimit: delivery.rateLimit, ordered: delivery.ordered,
    'auth.type': auth.fields.type, 'auth.username': auth.fields.username, 'auth.password': auth.fields.password,
    'auth.token': auth.fields.token, 'auth.headerName': auth.fields.headerName, 'auth.key': auth.fields.key,
  };
  // Fields made of several controls: the error sits under the group, focus goes to its first control.
  const groups = {
    events: { error: events.error, focusTarget: events.first },
    headers,
    filter,
    metadata,
  };
  const inAdvanced = new Set(['headers', 'filter', 'metadata', 'payloadFilter', 'signatureScheme']);

  /** Reads the form: the request body, or the mistakes found before asking the server. */
  const collect = () => {
    const errors = {};
    const headerRows = headers.entries();
    const metadataRows = metadata.entries();
    const filterRows = filter.entries();
    const check = (key, problem) => { if (problem) errors[key] = [problem]; };
    check('headers', pairProblems(headerRows, 'header', true));
    check('metadata', pairProblems(metadataRows, 'metadata key', false));
    check('filter', pairProblems(filterRows, 'attribute', false));
    const limitText = delivery.rateLimit.input.value.trim();
    // A number input reads '' for what is not a number ("1e", "abc"): badInput tells that from empty.
    const limitBad = delivery.rateLimit.input.validity.badInput || (limitText !== '' && !/^[0-9]+$/.test(limitText));
    if (limitBad) errors.rateLimit = ['Enter a whole number of deliveries per second, from 1 to 10,000, or leave it empty for no limit.'];
    let filterJson;
    const text = payloadFilter.input.value.trim();
    if (text !== '') {
      try {
        filterJson = JSON.parse(text);
      } catch (e) {
        errors.payloadFilter = [`This is not valid JSON (${e.message}). Write an object such as {"data.status": "shipped"}, or leave it empty.`];
      }
    }

    const body = {
      name: name.input.value.trim(),
      url: url.input.value.trim(),
      // An empty description clears a saved one; a new webhook simply has none.
      description: editing ? description.input.value : (description.input.value || undefined),
      events: events.value(),
    };
    const a = auth.value();
    if (a !== undefined) body.auth = a;
    const headerMap = Object.fromEntries(headerRows);
    const metadataMap = Object.fromEntries(metadataRows);
    const filterMap = Object.fromEntries(filterRows.map(([k, v]) => [k, v.split(',').map((x) => x.trim()).filter((x) => x !== '')]));
    // Editing replaces each of these ({} removes what was saved); creating sends only what is set.
    if (editing || headerRows.length > 0) body.headers = headerMap;
    if (editing || metadataRows.length > 0) body.metadata = metadataMap;
    if (editing || filterRows.length > 0) body.filter = filterMap;
    if (filterJson !== undefined) body.payloadFilter = filterJson;
    else if (editing && existing.payloadFilter) body.payloadFilter = {};
    if (scheme.input.value !== '') body.signatureScheme = scheme.input.value;
    // Empty means no limit: on an edit that clears a saved limit, 0 removes it.
    if (limitText !== '' && !limitBad) body.rateLimit = Number(limitText);
    else if (editing && existing.rateLimit) body.rateLimit = 0;
    if (editing) body.ordered = delivery.ordered.input.checked;
    else if (delivery.ordered.input.checked) body.ordered = true;
    return { body, auth: a, headers: headerMap, errors };
  };

  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const testOutput = h('div', { class: 'test-output', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, editing ? 'Save changes' : 'Create webhook');
  const testButton = h('button', { type: 'button', class: 'button' }, 'Test webhook');

  const clearErrors = () => {
    summary.hidden = true;
    fill(summary);
    for (const f of [...Object.values(fields), ...Object.values(groups)]) {
      f.error.hidden = true;
      fill(f.error);
      f.input?.removeAttribute('aria-invalid');
    }
  };

  /** Puts each field's errors beside it, lists them all in the summary, and moves focus there. */
  const showErrors = (error, fallbackTitle) => {
    clearErrors();
    const errors = error instanceof ApiError ? error.fieldErrors : {};
    const items = [];
    for (const [key, messages] of Object.entries(errors)) {
      const target = fields[key] ?? groups[key];
      const text = messages.join(' ');
      if (target) {
        fill(target.error, text);
        target.error.hidden = false;
        if (inAdvanced.has(key)) advanced.open = true;
        const focusable = fields[key] ? () => target.input : target.focusTarget;
        if (fields[key]) target.input.setAttribute('aria-invalid', 'true');
        items.push(h('li', null, h('a', { href: '#', onclick: (e) => { e.preventDefault(); focusable().focus(); } }, text)));
      } else {
        items.push(h('li', null, `${key}: ${text}`));
      }
    }

    const { title, detail } = describe(error);
    if (items.length > 0) {
      fill(summary, h('h2', null, fallbackTitle), h('ul', null, items));
    } else if (error instanceof ApiError && error.status === 409 && /name/i.test(error.message)) {
      fill(name.error, error.message);
      name.error.hidden = false;
      name.input.setAttribute('aria-invalid', 'true');
      fill(summary, h('h2', null, fallbackTitle), h('ul', null, h('li', null, error.message)));
    } else {
      fill(summary, h('h2', null, title), h('p', null, detail));
    }
    summary.hidden = false;
    summary.focus();
  };

  const form = h('form', {
    class: 'form',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      const { body, errors } = collect();
      if (Object.keys(errors).length > 0) {
        showErrors(new ApiError(400, { title: 'Check the form.', errors }), editing ? 'The changes could not be saved' : 'The webhook could not be created');
        return;
      }
      submit.disabled = true;
      try {
        if (editing) {
          const saved = await api.update(subscriptionId, body, existing.version);
          ctx.announce('Changes saved.');
          ctx.navigate(`#/webhooks/${saved.id}`);
        } else {
          const created = await api.create(body);
          await showSecret({
            title: 'Webhook created: save its signing secret',
            intro: 'Your receiver checks each delivery\'s webhook-signature header with this secret.',
            secret: created.secret,
          });
          ctx.navigate(`#/webhooks/${created.id}`);
        }
      } catch (error) {
        showErrors(error, editing ? 'The changes could not be saved' : 'The webhook could not be created');
      } finally {
        submit.disabled = false;
      }
    },
  },
  summary,
  name.wrapper,
  url.wrapper,
  description.wrapper,
  auth.element,
  events.element,
  delivery.element,
  advanced,
  h('div', { class: 'actions' },
    submit,
    testButton,
    h('a', { class: 'button link', href: editing ? `#/webhooks/${subscriptionId}` : '#/' }, 'Cancel')),
  testOutput);

  testButton.addEventListener('click', async () => {
    testButton.disabled = true;
    fill(testOutput, h('p', { class: 'muted' }, 'Sending a test event…'));
    try {
      const read = collect();
      const target = read.body.url;
      const unsavedHeaders = read.errors.headers ? existing?.headers ?? {} : read.headers;
      const sameHeaders = JSON.stringify(Object.entries(unsavedHeaders).sort()) === JSON.stringify(Object.entries(existing?.headers ?? {}).sort());
      const sameScheme = scheme.input.value === (existing?.signatureScheme ?? '');
      // Editing without touching where and how it is sent: test the saved webhook, signed with its real secret.
      const result = editing && read.auth === undefined && target === existing.url && sameHeaders && sameScheme
        ? await api.test(subscriptionId)
        : await api.testUrl({
          url: target,
          // Saved credentials are never sent back to the page: an unsaved test uses what is typed.
          auth: read.auth ?? { type: 'none' },
          headers: Object.keys(unsavedHeaders).length > 0 ? unsavedHeaders : undefined,
          signatureScheme: scheme.input.value || undefined,
          name: read.body.name || undefined,
        });
      clearErrors();
      const withoutSavedAuth = editing && read.auth === undefined && (existing.auth?.type ?? 'none') !== 'none' && !(target === existing.url && sameHeaders && sameScheme);
      fill(testOutput,
        testResult(result),
        withoutSavedAuth ? h('p', { class: 'hint' }, 'Sent without the saved authentication, which this page cannot read back: type it again above to include it.') : null);
    } catch (error) {
      fill(testOutput);
      showErrors(error, 'The test could not be sent');
    } finally {
      testButton.disabled = false;
    }
  });

  fill(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/' }, 'Webhooks'), ' › ',
      editing ? h('a', { href: `#/webhooks/${subscriptionId}` }, existing.name) : null,
      editing ? ' › ' : null,
      h('span', { 'aria-current': 'page' }, title)),
    h('h1', null, title),
    form);
  ctx.ready(title);
}
