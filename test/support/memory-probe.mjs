// A child for test/robust-dispose.test.ts (issue 15): loads an encrypted file with the built
// library, reads some values (get, or getBuffer then fill(0)), disposes, collects garbage, then
// searches its own memory for the needles: every readable mapping of /proc/self/mem (freed but
// not overwritten memory included), and a heap snapshot (live JS strings). The needles come
// XOR-masked (0x5a) so that this process never holds them in clear; matching unmasks byte by byte.
//
// usage: node --expose-gc memory-probe.mjs DIST FILE MODE MASKED_HEX...   (MODE: get | buf | none)
// prints {"mem":[count per needle],"snapshot":[found per needle]}
import { closeSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";

const [dist, file, mode, ...masked] = process.argv.slice(2);
const lib = await import(`${dist}/lib/index.js`);
let s = await lib.load(file);
if (mode === "get") s.get("read_me");
if (mode === "buf") s.getBuffer("read_me").fill(0);
s.dispose();
s = undefined;
for (let i = 0; i < 4; i++) {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 10));
}

const needles = masked.map((h) => Buffer.from(h, "hex"));
const mem = needles.map(() => 0);
const maps = readFileSync("/proc/self/maps", "utf8").split("\n");
const fd = openSync("/proc/self/mem", "r");
const chunk = Buffer.alloc(1 << 20);
for (const line of maps) {
  const m = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line);
  if (!m || /\[(vvar|vsyscall)\]/.test(line)) continue;
  const end = parseInt(m[2], 16);
  for (let at = parseInt(m[1], 16); at < end; at += chunk.length - 64) {
    let n;
    try {
      n = readSync(fd, chunk, 0, Math.min(chunk.length, end - at), at);
    } catch {
      break;
    }
    needles.forEach((nd, k) => {
      const first = nd[0] ^ 0x5a;
      for (let i = chunk.indexOf(first); i !== -1 && i + nd.length <= n; i = chunk.indexOf(first, i + 1)) {
        let ok = true;
        for (let j = 1; j < nd.length && ok; j++) ok = (chunk[i + j] ^ 0x5a) === nd[j];
        if (ok) mem[k]++;
      }
    });
  }
}
closeSync(fd);

const snapFile = writeHeapSnapshot(`${process.env.PROBE_DIR}/probe.heapsnapshot`);
const snap = readFileSync(snapFile);
rmSync(snapFile);
const snapshot = needles.map((nd) => {
  const clear = Buffer.from(nd.map((x) => x ^ 0x5a));
  const found = snap.includes(clear);
  clear.fill(0);
  return found;
});
writeSync(1, JSON.stringify({ mem, snapshot }) + "\n");
