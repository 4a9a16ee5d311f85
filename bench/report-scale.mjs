// The server-scale section of the report: a table per server and the curves of
// joins/s, relay rate and memory per peer against peers held (bench/scale.svg),
// which RESULTS.md opens with.
import { lineChartsSvg } from './lib/plot.mjs';
import { fmt } from './lib/stats.mjs';

const COLORS = { skymesh: '#1f6feb', peerjs: '#d1495b' };
const LABELS = { skymesh: 'skymesh-server', peerjs: 'PeerJS server' };
const points = (runs, key) => (runs || []).filter((r) => r && !r.error && r[key] != null).map((r) => [r.n, r[key]]);

export function scaleSvg(sc) {
  if (!sc?.ok || !sc.servers) return null;
  const panel = (title, key) => ({
    title,
    series: Object.entries(sc.servers).map(([name, runs]) => ({ name: LABELS[name] || name, color: COLORS[name] || '#555', points: points(runs, key) })),
  });
  return lineChartsSvg([
    panel('connect + join (per second)', 'joinsPerSec'),
    panel('relayed messages/s, N peers held', 'relayedPerSec'),
    panel('memory per held peer (KiB)', 'rssPerPeerKiB'),
  ], { caption: ['bench/server-scale.mjs, one run per point', ...(sc.notes || [])].join('; ') });
}

export function scaleMarkdown(sc, svgName) {
  const out = ['## 5b. How the signaling servers scale with peers held', ''];
  if (!sc?.ok || !sc.servers) return [...out, sc?.error || 'not run', ''];
  out.push(`![joins, relay and memory against peers held](${svgName})`, '');
  const sizes = [...new Set(Object.values(sc.servers).flatMap((runs) => runs.map((r) => r.n)))].sort((a, b) => a - b);
  const rows = [];
  for (const n of sizes) {
    for (const [name, runs] of Object.entries(sc.servers)) {
      const r = runs.find((x) => x.n === n);
      if (!r) continue;
      if (r.error) { rows.push([n, LABELS[name] || name, 'failed', r.error, '', '', '']); continue; }
      rows.push([n, LABELS[name] || name, r.held, fmt(r.joinsPerSec, 0), fmt(r.serverCpuMsPerJoin * 1000, 0), fmt(r.rssPerPeerKiB, 2), r.relayedPerSec == null ? 'n/a' : fmt(r.relayedPerSec, 0)]);
    }
  }
  out.push(['| peers (N) | server | held | joins/s | server CPU µs per join | KiB per held peer | relayed msg/s with N held |',
    '| --- | --- | --- | --- | --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'));
  out.push('');
  out.push('A fresh server per point; N peers connect and join (rooms of 10, ' + sc.config.concurrency + ' handshakes in flight), ' +
    'then, with all N held, the C relay generator measures relayed candidate messages between ' + sc.config.pairs + ' extra pairs. ' +
    'One run per point: read the shape, not the third digit.');
  for (const n of sc.notes || []) out.push(`\nNote: ${n}`);
  out.push('');
  return out;
}
