// A small SVG line chart, enough for the bench's curves: side-by-side panels, each
// with a log-scale x axis (peer count), a linear y axis from 0, and one line per
// series. No dependency: the bench writes bench/scale.svg with it.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// A "nice" upper bound and step for an axis from 0 to max.
function niceAxis(max) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

const short = (v) => (v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(2)}`);

// panels: [{ title, series: [{ name, color, points: [[x, y], ...] }] }]
export function lineChartsSvg(panels, { width = 300, height = 220, caption = '' } = {}) {
  const m = { l: 48, r: 12, t: 28, b: 40 };
  const W = width * panels.length;
  const H = height + (caption ? 18 : 0);
  const xs = panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x))).filter((x) => x > 0);
  const xmin = Math.min(...xs);
  const xmax = Math.max(...xs);
  const lx = (x) => (xmax > xmin ? (Math.log10(x) - Math.log10(xmin)) / (Math.log10(xmax) - Math.log10(xmin)) : 0.5);
  const ticksX = [...new Set(xs)].sort((a, b) => a - b);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`];
  panels.forEach((p, k) => {
    const ox = k * width;
    const pw = width - m.l - m.r;
    const ph = height - m.t - m.b;
    const ys = p.series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
    const { top, step } = niceAxis(Math.max(...ys, 0));
    const X = (x) => +(ox + m.l + lx(x) * pw).toFixed(1);
    const Y = (y) => +(m.t + ph - (y / top) * ph).toFixed(1);
    out.push(`<text x="${ox + width / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
    for (let v = 0; v <= top + step / 2; v += step) {
      out.push(`<line x1="${ox + m.l}" x2="${ox + m.l + pw}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e4e4e4"/>`,
        `<text x="${ox + m.l - 4}" y="${Y(v) + 4}" text-anchor="end" fill="#555">${short(v)}</text>`);
    }
    for (const x of ticksX) {
      out.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${m.t}" y2="${m.t + ph}" stroke="#f0f0f0"/>`,
        `<text x="${X(x)}" y="${m.t + ph + 14}" text-anchor="middle" fill="#555">${short(x)}</text>`);
    }
    out.push(`<text x="${ox + m.l + pw / 2}" y="${m.t + ph + 30}" text-anchor="middle" fill="#555">peers held (log scale)</text>`);
    p.series.forEach((s, i) => {
      const pts = s.points.filter(([x, y]) => x > 0 && Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
      if (pts.length) {
        out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
        for (const [x, y] of pts) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
      }
      out.push(`<rect x="${ox + m.l + 6}" y="${m.t + 4 + i * 14}" width="10" height="3" fill="${s.color}"/>`,
        `<text x="${ox + m.l + 20}" y="${m.t + 9 + i * 14}">${esc(s.name)}</text>`);
    });
  });
  if (caption) out.push(`<text x="8" y="${H - 6}" fill="#555">${esc(caption)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
