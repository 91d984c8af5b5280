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
import { HushError } from "../errors.js";

/**
 * node:v8, loaded when a large input is checked: loading it (with node:stream's heap utilities)
 * costs ~1 ms at every start, and a small input never needs it (issue 20, cold start).
 */
const getHeapStatistics = () => process.getBuiltinModule("node:v8").getHeapStatistics();

const PER_LINE = 2_560;
/** Per byte of a line beyond {@link SHORT_LINE} (shorter lines are in the per-line cost). */
const PER_LONG_BYTE = 32;
const SHORT_LINE = 256;
/** Share of the heap limit a document may take (the rest: the program, the garbage of the moment). */
const SHARE = 0.85;

function mb(n: number): string {
  return `${Math.ceil(n / 1048576).toLocaleString("en-US")} MB`;
}

/**
 * Throws `CANNOT_READ_INPUT` when `need` bytes of heap do not fit in what is left of the old
 * generation ({@link oldSpaceLimit}, {@link SHARE} of it); `cause` says what needs them.
 */
function ensureRoom(need: number, cause: (limit: string) => string, hint: string): void {
  const heap = getHeapStatistics();
  const limit = oldSpaceLimit(heap.heap_size_limit);
  if (need > limit * SHARE - heap.used_heap_size) throw new HushError("CANNOT_READ_INPUT", `the input is too large for the memory available: ${cause(mb(limit))}`, hint);
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
  ensureRoom(
    need,
    (limit) => `${mb(text.length)} of ${what} needs about ${mb(need)} of heap, the limit is ${limit}`,
    "raise the limit with NODE_OPTIONS=--max-old-space-size=<MB>, or split the file",
  );
}

/**
 * Alias expansion counted against the same budget (issue 15): sops expands a scalar alias into a
 * value of its own, so `*x` costs what the anchored value costs, however short the text. A 1 MB
 * anchored string with 200 aliases is 200 MB of values to encrypt (or, in an encrypted file, to
 * decrypt before the MAC can be checked): refused here, at parse time, within the memory model
 * {@link checkParseMemory} uses for text. Called by the YAML reader (cst.ts) at each alias with the
 * running total of expanded characters; cheap below 64 KB.
 */
export function checkAliasExpansion(expanded: number, aliases: number, what: string): void {
  if (expanded < 1 << 16) return;
  const need = expanded * PER_LONG_BYTE;
  ensureRoom(
    need,
    (limit) => `its ${aliases.toLocaleString("en-US")} aliases expand to ${mb(expanded)} of ${what} values, which needs about ${mb(need)} of heap, the limit is ${limit}`,
    "sops expands every alias into a value of its own: write fewer copies, or raise the limit with NODE_OPTIONS=--max-old-space-size=<MB>",
  );
}

/**
 * Heap per byte of a binary file's one value (its ciphertext, base64 text and plaintext copies,
 * not a parse tree), from the smallest `--max-old-space-size` at which an 80 MB random file still
 * encrypts (320 MB) and its 107 MB envelope decrypts (256 MB), rounded up. Encrypting is charged
 * per byte of plaintext and slightly more than decrypting its envelope (4/3 the size) is, so a
 * file that passes this check when encrypted passes it when decrypted with the same heap: hush
 * does not write a file it cannot read back.
 */
export const BINARY_PER_PLAIN_BYTE = 4.1;
export const BINARY_PER_ENVELOPE_BYTE = 3;

/**
 * The old generation's limit, which `--max-old-space-size` sets: a large string (the base64 text,
 * the envelope) lives there, and V8 aborts when it is full. `heap_size_limit` adds the young
 * generation, which V8 sizes by version and machine (48 MB on Node 20 and 22, 192 MB on Node 24
 * here): compared with that total, an 80 MB file passed the check under `--max-old-space-size=256`
 * on Node 24 and V8 aborted. V8 does not report the old generation's limit, so the flag is read
 * where Node takes it from (NODE_OPTIONS, then the command line, which wins); without it (a default
 * heap of gigabytes), the largest young generation seen is taken off the total.
 */
function oldSpaceLimit(total: number): number {
  let flag: number | undefined;
  for (const arg of [...(process.env["NODE_OPTIONS"] ?? "").split(/\s+/), ...process.execArgv]) {
    const m = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(arg);
    if (m) flag = Number(m[1]) * 1048576;
  }
  return flag !== undefined ? Math.min(flag, total) : total - Math.min(192 * 1048576, total / 4);
}

/** Like {@link checkParseMemory}, for the binary format's one value: `size` bytes at `perByte`. */
export function checkBinaryMemory(size: number, perByte: number, what: string): void {
  if (size < 1 << 20) return;
  const need = size * perByte;
  ensureRoom(
    need,
    (limit) => `${mb(size)} of ${what} needs about ${mb(need)} of heap, the limit is ${limit}`,
    "raise the limit with NODE_OPTIONS=--max-old-space-size=<MB> (about 5 MB per MB of file)",
  );
}
