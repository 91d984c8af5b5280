/**
 * A memory guard for parsing: a document in memory (the yaml package's CST, our tree, the
 * rewritten text) is tens of times the size of its text, so a large file would run Node out of
 * heap, which kills the process with a fatal error instead of a clean one-line failure. Before
 * parsing, the cost is estimated from the text and compared with the heap that is left.
 *
 * The estimate is an upper bound of what was measured (peak live heap of `hush encrypt` and
 * `hush decrypt`, Node 20): about 1.3–2.4 KB per line whatever the format (5 MB files of YAML,
 * JSON, dotenv and INI with 100k+ values took 100–260 MB, 5 MB of `kN: 1` lines 730 MB), and
 * 10–28 bytes per byte of a long line (a single 5 MB value took 70–140 MB). With Node's default
 * heap (2–4 GB) the limit lies at tens of megabytes of configuration.
 */
import { getHeapStatistics } from "node:v8";
import { HushError } from "../errors.js";

const PER_LINE = 2_560;
/** Per byte of a line beyond {@link SHORT_LINE} (shorter lines are in the per-line cost). */
const PER_LONG_BYTE = 32;
const SHORT_LINE = 256;
/** Share of the heap limit a document may take (the rest: the program, the garbage of the moment). */
const SHARE = 0.85;

function mb(n: number): string {
  return `${Math.ceil(n / 1048576).toLocaleString("en-US")} MB`;
}

/** Throws a clean error when parsing `text` would likely exhaust the heap. */
export function checkParseMemory(text: string | Uint8Array, what: string): void {
  // Small inputs (all real configuration files) cost nothing to check.
  if (text.length < 1 << 16) return;
  let lines = 0;
  let long = 0;
  const nl = typeof text === "string" ? (from: number) => text.indexOf("\n", from) : (from: number) => text.indexOf(0x0a, from);
  for (let start = 0; start < text.length; lines++) {
    let end = nl(start);
    if (end === -1) end = text.length;
    if (end - start > SHORT_LINE) long += end - start - SHORT_LINE;
    start = end + 1;
  }
  const need = lines * PER_LINE + long * PER_LONG_BYTE;
  const heap = getHeapStatistics();
  const room = heap.heap_size_limit * SHARE - heap.used_heap_size;
  if (need > room) {
    throw new HushError(
      "CANNOT_READ_INPUT",
      `the input is too large for the memory available: ${mb(text.length)} of ${what} needs about ${mb(need)} of heap, the limit is ${mb(heap.heap_size_limit)}`,
      "raise the limit with NODE_OPTIONS=--max-old-space-size=<MB>, or split the file",
    );
  }
}
