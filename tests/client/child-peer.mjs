// A skymesh peer in its own process, for abrupt-exit tests.
// argv: serverUrl stack room name expectPeers [accept]. Prints "ready <peerId>"
// once it is in the room with open channels to expectPeers peers, then idles;
// with "accept", it accepts every data transfer offered to it.
import { TestPeer, waitUntil } from './peers.mjs';

const [url, stack, room, name, expect] = process.argv.slice(2);
const peer = new TestPeer(name, stack, { url });
if (process.argv[7] === 'accept') {
  peer.sky.on('incomingDataRequest', (tid, from, info, self) => { if (!self) peer.sky.acceptDataTransfer(from, tid, true); });
}
await peer.init();
await peer.join(room, { userData: { name } });
await waitUntil(() => peer.openChannels().size >= Number(expect), 'channels', 20000);
process.stdout.write(`ready ${peer.id}\n`);
setInterval(() => {}, 1000);
