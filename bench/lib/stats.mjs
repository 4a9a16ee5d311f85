// Small statistics helpers shared by every benchmark: medians, spread, quantiles,
// and pair-by-pair ratios. Benchmarks report; nothing here asserts.

export function sorted(xs) {
  return xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

// Linear-interpolated quantile, q in [0, 1], over finite values; null when empty.
export function quantile(xs, q) {
  const s = sorted(xs);
  if (s.length === 0) return null;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

// Quantile on an already-sorted typed array (fast path for big latency samples).
export function quantileSorted(s, q) {
  if (!s.length) return null;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

// Summary of repetitions: median, min, max, quartiles, and the raw values.
export function summary(xs) {
  const s = sorted(xs);
  if (s.length === 0) return { n: 0, median: null, min: null, max: null, q1: null, q3: null, values: xs };
  return {
    n: s.length,
    median: quantile(s, 0.5),
    min: s[0],
    max: s[s.length - 1],
    q1: quantile(s, 0.25),
    q3: quantile(s, 0.75),
    values: xs,
  };
}

// Ratio of a/b for each repetition index (same run, same machine), then summarised.
export function pairRatios(a, b) {
  const n = Math.min(a.length, b.length);
  const r = [];
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i]) && b[i] !== 0) r.push(a[i] / b[i]);
  }
  return summary(r);
}

// Pairwise differences a[i] - b[i], summarised.
export function pairDiffs(a, b) {
  const n = Math.min(a.length, b.length);
  const r = [];
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i])) r.push(a[i] - b[i]);
  }
  return summary(r);
}

// Latency samples (ms) -> p50/p99/max/mean/n.
export function latencySummary(samples) {
  const s = Float64Array.from(samples.filter(Number.isFinite)).sort();
  if (!s.length) return { n: 0, p50: null, p99: null, max: null, mean: null };
  let sum = 0;
  for (const x of s) sum += x;
  return { n: s.length, p50: quantileSorted(s, 0.5), p99: quantileSorted(s, 0.99), max: s[s.length - 1], mean: sum / s.length };
}

export function fmt(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(Math.max(0, digits - 2));
  if (a >= 10) return x.toFixed(Math.max(0, digits - 1));
  return x.toFixed(digits);
}

// "median (min–max)" for a summary.
export function fmtSummary(s, digits = 2, unit = '') {
  if (!s || s.median === null || s.median === undefined) return 'n/a';
  const u = unit ? ` ${unit}` : '';
  if (s.n === 1) return `${fmt(s.median, digits)}${u}`;
  return `${fmt(s.median, digits)}${u} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}
