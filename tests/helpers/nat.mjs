// Two hosts, each behind its own NAT router, and a "public" network between the
// routers where a server (skymesh-server, coturn) runs. Needs root, iproute2 and
// iptables (tests/helpers/netns.mjs's netnsSkip() says whether it can run).
//
//   const net = createNatNetwork();
//   net.exec(net.public, serverBinary(), ['--host', net.publicAddr, ...]);
//   net.exec(net.hosts[0], process.execPath, ['peer.mjs']);  // 10.10.1.2
//   startServer([], { host: net.publicAddr, spawnPrefix: net.spawnPrefix(net.public) });
//   net.destroy();
//
// Layout (203.0.113.0/24 is TEST-NET-3, 10.10.0.0/16 private):
//
//   host 0 (10.10.1.2) --eth0/lan-- router 0 --wan (203.0.113.2)--+
//                         10.10.1.1                                |  br0 in "public"
//   host 1 (10.10.2.2) --eth0/lan-- router 1 --wan (203.0.113.3)--+  (203.0.113.1)
//                         10.10.2.1
//
// - A host's default route is its router. A router has a route to its own LAN
//   and to 203.0.113.0/24, nothing else: 10.10.1.2 cannot reach 10.10.2.2 (its
//   router answers "network unreachable"), and "public" has no route to either
//   private side: its default route ("the internet", option upstream, on by
//   default) leads to a gateway that silently drops everything, as a real
//   server's would for 10.x. With upstream: false, "public" has no default
//   route and sending there fails at once (ENETUNREACH), which coturn answers
//   by closing the allocation that tried (see nat.test.mjs).
// - Routers forward (ip_forward=1) and masquerade what leaves by wan
//   (`-t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully`): every new
//   flow gets a random public port, so the mapping depends on the destination
//   (a symmetric NAT: the port a STUN server reports is not the port a peer
//   would see). On wan they accept only replies (conntrack ESTABLISHED,RELATED)
//   and drop every unsolicited packet, to the router itself or forwarded. So two
//   hosts cannot reach each other directly, not even by UDP hole punching on
//   their reflexive addresses: only through a relay in "public" (TURN).
//   natMode says which MASQUERADE was applied: 'random-fully', else 'random'
//   where the kernel lacks the former (per-flow hashed ports: still symmetric).
// - Namespace names start with netns.mjs's NETNS_PREFIX ("sm<pid>-"), so a run
//   killed with SIGKILL is cleaned up by the next (here or by netns.mjs). The
//   network is destroyed on exit, signals and uncaught exceptions (netns.mjs's
//   track()); destroy() kills every process still inside its namespaces.
import { execFileSync, spawn } from 'node:child_process';
import { NETNS_PREFIX, track, untrack, cleanupStale } from './netns.mjs';

export const PUBLIC_SUBNET = '203.0.113';
const UPSTREAM_GW = '192.0.2.1'; // TEST-NET-1: the public side's (fake) default gateway

// Runs a command, turning a failure into an Error that carries its stderr.
function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const why = (e.stderr || '').trim() || e.message;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}`);
  }
}

function quiet(cmd, args) {
  try { return sh(cmd, args); } catch { return ''; }
}

function listNamespaces() {
  return quiet('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

// SIGKILLs every process inside namespace ns (ip netns pids), then deletes it.
function killAndDelete(ns) {
  for (const pid of quiet('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean).map(Number)) {
    if (pid !== process.pid) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  quiet('ip', ['netns', 'del', ns]);
}

// NAT networks of processes that no longer exist: their processes killed
// (a turnserver would keep an anonymous namespace alive), then removed.
const STALE = /^sm(\d+)-nat\d+/;
function cleanupStaleNat() {
  for (const name of listNamespaces()) {
    const m = STALE.exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) killAndDelete(name);
  }
  cleanupStale();
}

let probedMode;
// 'random-fully' when this kernel/iptables take MASQUERADE --random-fully in a
// namespace, else 'random'; probed once.
function masqueradeMode(probe) {
  if (probedMode) return probedMode;
  try {
    sh('ip', ['netns', 'exec', probe, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE', '--random-fully']);
    sh('ip', ['netns', 'exec', probe, 'iptables', '-t', 'nat', '-D', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE', '--random-fully']);
    probedMode = 'random-fully';
  } catch {
    probedMode = 'random';
  }
  return probedMode;
}

let counter = 0;

// Builds the network above; synchronous (quick ip/iptables calls). Throws,
// after removing what it made, when a step fails. Options: randomFully (default
// true; false: plain MASQUERADE, which keeps source ports, an endpoint-
// independent mapping through which hole punching can work), dropUnsolicited
// (default true; false: the routers' wan accepts new inbound packets).
export function createNatNetwork({ randomFully = true, dropUnsolicited = true, upstream = true } = {}) {
  cleanupStaleNat();
  const k = counter++;
  const base = `${NETNS_PREFIX}nat${k}`;
  const pub = `${base}-pub`;
  const routers = [`${base}-r0`, `${base}-r1`];
  const hosts = [`${base}-h0`, `${base}-h1`];
  const all = [...hosts, ...routers, pub];
  const publicAddr = `${PUBLIC_SUBNET}.1`;
  const routerAddr = (i) => `${PUBLIC_SUBNET}.${2 + i}`;
  const routerLanAddr = (i) => `10.10.${i + 1}.1`;
  const hostAddr = (i) => `10.10.${i + 1}.2`;
  const children = new Set();
  let destroyed = false;

  const nsName = (ns) => (typeof ns === 'number' ? hosts[ns] : ns);
  const spawnPrefix = (ns) => ['ip', 'netns', 'exec', nsName(ns)];

  const network = {
    public: pub,
    routers,
    hosts,
    publicAddr,
    routerAddr,
    routerLanAddr,
    hostAddr,
    natMode: null,
    // ['ip', 'netns', 'exec', ns]: for startServer / RemotePeer's spawnPrefix.
    spawnPrefix,

    // spawn(cmd, args, opts) inside namespace ns (a name, or a host's index).
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

    // The routers' iptables rules with their counters (iptables -S -v), for debugging.
    describe() {
      return routers.map((r) => `${r}:\n${quiet('ip', ['netns', 'exec', r, 'iptables', '-S', '-v'])}${quiet('ip', ['netns', 'exec', r, 'iptables', '-t', 'nat', '-S', '-v'])}`).join('\n');
    },

    // Kills the children started with exec() and anything else still running in
    // the namespaces, then deletes the namespaces. Idempotent.
    destroy() {
      if (destroyed) return;
      destroyed = true;
      untrack(network);
      for (const child of children) {
        try { child.kill('SIGKILL'); } catch { /* gone */ }
      }
      for (const ns of all) killAndDelete(ns);
    },
    get destroyed() { return destroyed; },
  };

  track(network);
  try {
    for (const ns of all) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['-n', pub, 'link', 'add', 'name', 'br0', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    sh('ip', ['-n', pub, 'addr', 'add', `${publicAddr}/24`, 'dev', 'br0']);
    sh('ip', ['-n', pub, 'link', 'set', 'br0', 'up']);
    if (upstream) {
      // "The internet": a default route out of a veth whose far end drops
      // everything (a gateway whose MAC nobody has), so that what "public"
      // sends to an unroutable address (coturn relaying to a peer's private
      // host candidate) vanishes silently instead of failing with
      // ENETUNREACH, as on a real server. (No dummy device: some kernels
      // lack it.)
      sh('ip', ['-n', pub, 'link', 'add', 'name', 'inet', 'type', 'veth', 'peer', 'name', 'inet-void']);
      sh('ip', ['-n', pub, 'link', 'set', 'inet-void', 'up']);
      sh('ip', ['-n', pub, 'link', 'set', 'inet', 'up']);
      sh('ip', ['-n', pub, 'neigh', 'add', UPSTREAM_GW, 'lladdr', '02:00:00:00:de:ad', 'dev', 'inet', 'nud', 'permanent']);
      sh('ip', ['-n', pub, 'route', 'add', 'default', 'via', UPSTREAM_GW, 'dev', 'inet', 'onlink']);
    }
    routers.forEach((r, i) => {
      // wan: router <-> a port of the public bridge.
      sh('ip', ['-n', pub, 'link', 'add', 'name', `r${i}`, 'type', 'veth', 'peer', 'name', 'wan', 'netns', r]);
      sh('ip', ['-n', pub, 'link', 'set', `r${i}`, 'master', 'br0']);
      sh('ip', ['-n', pub, 'link', 'set', `r${i}`, 'up']);
      sh('ip', ['-n', r, 'addr', 'add', `${routerAddr(i)}/24`, 'dev', 'wan']);
      sh('ip', ['-n', r, 'link', 'set', 'wan', 'up']);
      // lan: router <-> its host.
      sh('ip', ['-n', r, 'link', 'add', 'name', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', hosts[i]]);
      sh('ip', ['-n', r, 'addr', 'add', `${routerLanAddr(i)}/24`, 'dev', 'lan']);
      sh('ip', ['-n', r, 'link', 'set', 'lan', 'up']);
      sh('ip', ['-n', hosts[i], 'addr', 'add', `${hostAddr(i)}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', hosts[i], 'link', 'set', 'eth0', 'up']);
      sh('ip', ['-n', hosts[i], 'route', 'add', 'default', 'via', routerLanAddr(i)]);

      const ipt = (...args) => sh('ip', ['netns', 'exec', r, 'iptables', ...args]);
      sh('ip', ['netns', 'exec', r, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      if (randomFully) {
        network.natMode = masqueradeMode(r);
        ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE', `--${network.natMode}`);
      } else {
        network.natMode = 'masquerade';
        ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE');
      }
      if (dropUnsolicited) {
        for (const chain of ['INPUT', 'FORWARD']) {
          ipt('-A', chain, '-i', 'wan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
          ipt('-A', chain, '-i', 'wan', '-j', 'DROP');
        }
      }
    });
  } catch (e) {
    network.destroy();
    throw e;
  }
  return network;
}
