// Building the page without markup strings: every value from the server becomes a text node or an
// attribute value, never HTML, so a webhook named <img src=x onerror=alert(1)> shows as those
// characters. (The page's Content-Security-Policy enforces Trusted Types: assigning markup would throw.)

const SVG = 'http://www.w3.org/2000/svg';

function set(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`${key} must be a function`);
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.setAttribute('class', value);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'checked' || key === 'value' || key === 'selected' || key === 'disabled' || key === 'hidden') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Creates an HTML element: h('a', { href: '#/', class: 'x' }, 'text', otherElement). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  set(el, props);
  append(el, children);
  return el;
}

/** Creates an SVG element. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG, tag);
  set(el, props);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** A document-unique id with a readable prefix. */
export function id(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A <time> element: local time shown, the exact instant in its datetime and title. */
export function time(iso, short = false) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const date = new Date(iso);
  return h('time', { datetime: iso, title: date.toISOString() }, (short ? shortTime : dateTime).format(date));
}

export function formatShort(date) {
  return shortTime.format(date);
}

export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

export function plural(n, one, many) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Announces a message to screen readers (and shows nothing). */
export function announce(message) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  setTimeout(() => { live.textContent = message; }, 30);
}

/** A status badge: the word always says it, the colour only repeats it. */
export function badge(kind, label) {
  return h('span', { class: `badge badge-${kind}` }, label);
}

/** A delivery's status; a pending one that already failed once says it is being retried. */
export function statusBadge(status, attemptCount = 0) {
  if (status === 'pending' && attemptCount > 0) return badge('wait', 'Retrying');
  const labels = { succeeded: 'Succeeded', failed: 'Failed', pending: 'Pending' };
  const kinds = { succeeded: 'ok', failed: 'bad', pending: 'wait' };
  return badge(kinds[status] ?? 'off', labels[status] ?? String(status));
}

/** Ids from the server are checked before they go into an address of the page. */
export function isId(value, prefix) {
  return typeof value === 'string' && value.length <= 128 && value.startsWith(prefix) && /^[A-Za-z0-9_-]+$/.test(value);
}
