// Succeeded and failed deliveries per time bucket, as inline SVG: stacked bars, the scale, the
// first and last times, and the same numbers as a table for screen readers and exact reading.
import { h, s, formatShort, plural } from './dom.js';

const PAD = { top: 12, right: 8, bottom: 28, left: 40 };

function niceMax(n) {
  if (n <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(n));
  const m = n / p;
  return (m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** width: the pixels it will be drawn in, so text keeps its size on a phone and a wide screen alike. */
export function chart(stats, caption, width = 640) {
  const W = Math.round(Math.min(1000, Math.max(280, width)));
  const H = 200;
  const buckets = stats.buckets ?? [];
  const max = niceMax(Math.max(0, ...buckets.map((b) => b.succeeded + b.failed)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, step * 0.72);
  const y = (v) => PAD.top + plotH - (v / max) * plotH;
  const titleId = `chart-${Math.random().toString(36).slice(2)}`;

  const summary = `${plural(stats.succeeded, 'delivery attempt', 'delivery attempts')} succeeded and ${stats.failed.toLocaleString()} failed, ${formatShort(new Date(stats.windowStart))} to ${formatShort(new Date(stats.windowEnd))}.`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': titleId },
    s('title', { id: titleId }, `${caption}: ${summary}`));

  for (const v of [0, max / 2, max]) {
    svg.append(
      s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: PAD.left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }

  buckets.forEach((b, i) => {
    const x = PAD.left + i * step + (step - barW) / 2;
    const label = `${formatShort(new Date(b.start))}: ${b.succeeded} succeeded, ${b.failed} failed`;
    const g = s('g', null, s('title', null, label));
    if (b.succeeded > 0) g.append(s('rect', { x, width: barW, y: y(b.succeeded), height: y(0) - y(b.succeeded), class: 'bar-ok' }));
    if (b.failed > 0) g.append(s('rect', { x, width: barW, y: y(b.succeeded + b.failed), height: y(b.succeeded) - y(b.succeeded + b.failed), class: 'bar-bad' }));
    svg.append(g);
  });

  if (stats.succeeded + stats.failed === 0) {
    svg.append(s('text', { x: PAD.left + plotW / 2, y: PAD.top + plotH / 2, class: 'empty-note', 'text-anchor': 'middle' }, 'No attempts in this period'));
  }

  if (buckets.length > 0) {
    svg.append(
      s('text', { x: PAD.left, y: H - 8, class: 'axis', 'text-anchor': 'start' }, formatShort(new Date(buckets[0].start))),
      s('text', { x: W - PAD.right, y: H - 8, class: 'axis', 'text-anchor': 'end' }, 'now'));
  }

  const rows = buckets.filter((b) => b.succeeded + b.failed > 0);
  const table = h('details', { class: 'chart-table' },
    h('summary', null, 'Show as a table'),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'No attempts in this period.')
      : h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'From'), h('th', { scope: 'col' }, 'Succeeded'), h('th', { scope: 'col' }, 'Failed'))),
        h('tbody', null, rows.map((b) => h('tr', null, h('td', null, formatShort(new Date(b.start))), h('td', null, String(b.succeeded)), h('td', null, String(b.failed)))))));

  return h('figure', { class: 'chart-figure' },
    svg,
    h('figcaption', null,
      h('span', { class: 'legend legend-ok' }, `${stats.succeeded.toLocaleString()} succeeded`),
      h('span', { class: 'legend legend-bad' }, `${stats.failed.toLocaleString()} failed`)),
    table);
}
