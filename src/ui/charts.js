// Small charts drawn as inline SVG (no library): a sparkline with its last value.
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// values: numbers (null = no data). Returns an <svg> scaled to its container's width.
export function sparkline(values, { label = '', width = 240, height = 48 } = {}) {
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'spark', role: 'img',
    'aria-label': label, preserveAspectRatio: 'none',
  });
  const pts = values.map((v, i) => [i, v]).filter(([, v]) => v !== null && Number.isFinite(v));
  root.append(svg('line', { x1: 0, y1: height - 1, x2: width, y2: height - 1, class: 'axis' }));
  if (pts.length === 0) return root;
  const max = Math.max(...pts.map(([, v]) => v), 1e-9);
  const n = Math.max(values.length - 1, 1);
  const xy = pts.map(([i, v]) =>
    [(i / n) * width, height - 2 - (v / max) * (height - 6)]);
  const d = xy.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const area = `${d} L${xy[xy.length - 1][0].toFixed(1)},${height} L${xy[0][0].toFixed(1)},${height} Z`;
  root.append(svg('path', { d: area, class: 'area' }));
  root.append(svg('path', { d, class: 'line' }));
  const [lx, ly] = xy[xy.length - 1];
  root.append(svg('circle', { cx: lx, cy: ly, r: 2.5, class: 'dot' }));
  return root;
}
