// Real network namespaces for fault tests (iproute2, iptables; needs root).
//
//   const skip = netnsSkip();             // false, or why not (throws under CI
//                                         // or SKYMESH_REQUIRE_NETNS=1)
//   const net = createNetwork(2);
//   net.exec(net.hub, serverBinary(), ['--host', net.hubAddr, ...]);
//   net.exec(net.peers[0], process.execPath, ['peer.mjs']);
//   net.linkDown(0); net.linkUp(0);       // unplug / replug peer 0's cable
//   net.loss(1, 100); net.clearLoss(1);   // silent drop of peer 1's packets
//   net.destroy();
//
// Layout: a hub namespace with a bridge br0 (hubAddr, 10.231.0.1/24) and one
// namespace per peer, each joined to the bridge by a veth pair: "eth0" with
// peerAddr(i) = 10.231.0.(10+i) inside the peer, "veth<i>" in the hub. Every
// namespace is isolated from the machine's own network and from every other
// network made here (so the same addresses serve every network), and has its
// loopback up. Namespace names start with "sm<pid>-", so that what a process
// killed with SIGKILL left behind is recognised and removed by the next one.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';

const SUBNET = '10.231.0';
const PREFIX = `sm${process.pid}-`;
const STALE = /^sm(\d+)-/;

function ip(...args) {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Runs a command, turning a failure into an Error that carries its stderr.
function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const why = (e.stderr || '').trim() || e.message;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}`);
  }
}

function listNamespaces() {
  try {
    return ip('netns', 'list').split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
  } catch {
    return [];
  }
}

function delNamespace(name) {
  try { ip('netns', 'del', name); } catch { /* already gone */ }
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

// Removes the namespaces of processes that no longer exist (SIGKILLed runs).
export function cleanupStale() {
  for (const name of listNamespaces()) {
    const m = STALE.exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) delNamespace(name);
  }
}

// The namespaces this process made; only ever names starting with PREFIX.
export function ourNamespaces() {
  return listNamespaces().filter((n) => n.startsWith(PREFIX));
}

const required = () => process.env.SKYMESH_REQUIRE_NETNS === '1'
  || (!!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase()));

let probed;
// { ok: true } when this process can make namespaces, bridges and veth pairs,
// else { ok: false, reason }.
export function canUseNetns() {
  if (probed) return probed;
  const fail = (reason) => (probed = { ok: false, reason });
  if (process.platform !== 'linux') return fail(`not Linux (${process.platform})`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return fail('not root');
  try { ip('-V'); } catch { return fail("iproute2's ip is not installed (apt-get install iproute2)"); }
  const probe = `${PREFIX}probe`;
  try {
    sh('ip', ['netns', 'add', probe]);
    sh('ip', ['-n', probe, 'link', 'add', 'name', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', probe, 'link', 'add', 'name', 'pa', 'type', 'veth', 'peer', 'name', 'pb']);
  } catch (e) {
    return fail(e.message);
  } finally {
    delNamespace(probe);
  }
  return (probed = { ok: true });
}

// For a suite: false when namespaces work; otherwise the reason to skip, or an
// exception when they are required (CI set, or SKYMESH_REQUIRE_NETNS=1).
export function netnsSkip() {
  const c = canUseNetns();
  if (c.ok) return false;
  if (required()) {
    throw new Error(`network namespaces are required (CI or SKYMESH_REQUIRE_NETNS=1) but cannot be used: ${c.reason}`);
  }
  return `network namespaces cannot be used here: ${c.reason}`;
}

let netemProbed;
// { ok } when the kernel has the netem qdisc (sch_netem), else { ok: false, reason }.
export function canUseNetem() {
  if (netemProbed) return netemProbed;
  const c = canUseNetns();
  if (!c.ok) return (netemProbed = c);
  const probe = `${PREFIX}netem`;
  try {
    sh('ip', ['netns', 'add', probe]);
    sh('ip', ['-n', probe, 'link', 'add', 'name', 'pa', 'type', 'veth', 'peer', 'name', 'pb']);
    sh('ip', ['netns', 'exec', probe, 'tc', 'qdisc', 'add', 'dev', 'pa', 'root', 'netem', 'delay', '1ms']);
    netemProbed = { ok: true };
  } catch (e) {
    const release = fs.existsSync('/proc/sys/kernel/osrelease') ? fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() : '?';
    netemProbed = { ok: false, reason: `this kernel (${release}) has no netem qdisc (sch_netem): ${e.message}` };
  } finally {
    delNamespace(probe);
  }
  return netemProbed;
}

// Every live network of this process, destroyed on exit, on SIGINT/SIGTERM and
// on an uncaught exception.
const live = new Set();
let hooked = false;

export function destroyAll() {
  for (const n of [...live]) n.destroy();
}

function hook() {
  if (hooked) return;
  hooked = true;
  process.on('exit', destroyAll);
  process.on('uncaughtExceptionMonitor', destroyAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const onSignal = () => {
      destroyAll();
      process.off(sig, onSignal);
      // Nobody else handles it: die of it as if we had not been here.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

// For helpers that build namespaces of their own (nat.mjs): NETNS_PREFIX is
// what every namespace name of this process starts with (so cleanupStale()
// recognises theirs too), track(obj) has obj.destroy() (synchronous) run on
// exit, signals and uncaught exceptions like a createNetwork()'s, and
// untrack(obj) forgets it once destroyed.
export const NETNS_PREFIX = PREFIX;
export function track(obj) {
  hook();
  live.add(obj);
}
export function untrack(obj) {
  live.delete(obj);
}

let counter = 0;

// Makes a hub and n peer namespaces (see the top of this file). Synchronous:
// every step is a quick ip(8) call. Throws (after removing what it made) when a
// step fails.
export function createNetwork(n, { subnet = SUBNET } = {}) {
  hook();
  cleanupStale();
  const k = counter++;
  const hub = `${PREFIX}${k}h`;
  const peers = Array.from({ length: n }, (_, i) => `${PREFIX}${k}p${i}`);
  const hubAddr = `${subnet}.1`;
  const peerAddr = (i) => `${subnet}.${10 + i}`;
  const veth = (i) => `veth${i}`;
  const children = new Set();
  const lossRules = new Map(); // peer index -> [[ns, iptables args without -A/-D]]
  let brNetfilter = false;
  let destroyed = false;

  const nsName = (ns) => (typeof ns === 'number' ? peers[ns] : ns);

  const network = {
    hub,
    peers,
    hubAddr,
    peerAddr,
    subnet,
    veth,

    // spawn(cmd, args, opts) inside namespace ns (a name, or a peer's index).
    // Children still running at destroy() are killed with SIGKILL.
    exec(ns, cmd, args = [], opts = {}) {
      const child = spawn('ip', ['netns', 'exec', nsName(ns), cmd, ...args], opts);
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },

    // execFileSync(cmd, args) inside namespace ns; returns stdout, throws with stderr.
    run(ns, cmd, args = []) {
      return sh('ip', ['netns', 'exec', nsName(ns), cmd, ...args]);
    },

    // Unplugs peer i: its hub-side veth goes down (the peer sees no carrier).
    linkDown(i) { sh('ip', ['-n', hub, 'link', 'set', veth(i), 'down']); },
    linkUp(i) { sh('ip', ['-n', hub, 'link', 'set', veth(i), 'up']); },

    // tc qdisc replace ... root netem <args> on peer i's link. side: 'hub'
    // (default: the hub-side veth, delaying/dropping what goes TO the peer),
    // 'peer' (its eth0: what comes FROM it) or 'both'. args: a string or an array.
    netem(i, args, { side = 'hub' } = {}) {
      const list = Array.isArray(args) ? args : String(args).trim().split(/\s+/);
      const c = canUseNetem();
      if (!c.ok) throw new Error(`netem: ${c.reason}`);
      for (const [ns, dev] of netemDevices(i, side)) {
        sh('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', 'netem', ...list]);
      }
    },
    clearNetem(i) {
      for (const [ns, dev] of netemDevices(i, 'both')) {
        try { sh('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root']); } catch { /* none */ }
      }
    },

    // Drops percent % of peer i's IPv4 packets, silently (no ICMP, no RST, the
    // link stays up; ARP still works), with iptables in the raw table where they
    // arrive: in the hub for what the peer sends (bridged to other peers or to
    // the hub's own address), in the peer for what it receives. dir: 'both'
    // (default), 'from' (only what it sends) or 'to' (only what it receives).
    loss(i, percent = 100, { dir = 'both' } = {}) {
      network.clearLoss(i);
      const stat = percent >= 100 ? [] : ['-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100)];
      const rules = [];
      if (dir === 'both' || dir === 'from') {
        if (!brNetfilter) {
          // Bridged packets through iptables: per namespace, so only the hub's.
          sh('ip', ['netns', 'exec', hub, 'sh', '-c', 'echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables']);
          brNetfilter = true;
        }
        rules.push([hub, ['-t', 'raw', 'PREROUTING', '-m', 'physdev', '--physdev-in', veth(i), ...stat, '-j', 'DROP']]);
      }
      if (dir === 'both' || dir === 'to') {
        rules.push([peers[i], ['-t', 'raw', 'PREROUTING', '-i', 'eth0', ...stat, '-j', 'DROP']]);
      }
      for (const [ns, [t, table, chain, ...rest]] of rules) sh('ip', ['netns', 'exec', ns, 'iptables', t, table, '-A', chain, ...rest]);
      lossRules.set(i, rules);
    },
    clearLoss(i) {
      for (const [ns, [t, table, chain, ...rest]] of lossRules.get(i) || []) {
        try { sh('ip', ['netns', 'exec', ns, 'iptables', t, table, '-D', chain, ...rest]); } catch { /* gone */ }
      }
      lossRules.delete(i);
    },

    // Kills the children started with exec() and deletes every namespace (their
    // veths go with them). Idempotent.
    destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(network);
      for (const child of children) {
        try { child.kill('SIGKILL'); } catch { /* gone */ }
      }
      for (const ns of [...peers, hub]) delNamespace(ns);
    },
    get destroyed() { return destroyed; },
  };

  function netemDevices(i, side) {
    const devs = [];
    if (side === 'hub' || side === 'both') devs.push([hub, veth(i)]);
    if (side === 'peer' || side === 'both') devs.push([peers[i], 'eth0']);
    return devs;
  }

  live.add(network);
  try {
    for (const ns of [hub, ...peers]) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['-n', hub, 'link', 'add', 'name', 'br0', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    sh('ip', ['-n', hub, 'addr', 'add', `${hubAddr}/24`, 'dev', 'br0']);
    sh('ip', ['-n', hub, 'link', 'set', 'br0', 'up']);
    peers.forEach((ns, i) => {
      sh('ip', ['-n', hub, 'link', 'add', 'name', veth(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      sh('ip', ['-n', hub, 'link', 'set', veth(i), 'master', 'br0']);
      sh('ip', ['-n', hub, 'link', 'set', veth(i), 'up']);
      sh('ip', ['-n', ns, 'addr', 'add', `${peerAddr(i)}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    });
  } catch (e) {
    network.destroy();
    throw e;
  }
  return network;
}
