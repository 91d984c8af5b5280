/**
 * Reading a Node-style `.env` (the `dotenv` npm package's rules: quotes, inline comments, `export`,
 * multi-line quoted values, `KEY: value`) and turning it into a file in sops's dotenv format
 * (`dotenv.ts`), saying what that reading changed compared with how sops reads the same lines.
 *
 * This is the explicit import step (`hush import-dotenv`): sops's own reader takes everything
 * after the first `=`, so `P=hunter2 #1` is the secret `hunter2 #1` to sops but `hunter2` to a
 * Node app. Importing keeps the values the app saw; the report lets the user check each place
 * where sops would have read something else. Reports name keys and line numbers, never values
 * or comment text (a "comment" may be the tail of a password).
 *
 * The rules are the `dotenv` package's (v16, `lib/main.js` `parse`, MIT): its line regex below,
 * `\r\n` read as `\n`, the value trimmed, one pair of matching quotes removed, `\n` and `\r`
 * expanded inside double quotes only, the last of several equal keys wins. Lines the package
 * ignores (no key, or not `KEY=`) are dropped and reported; full-line comments and empty lines
 * are kept.
 */
import { HushError } from "../errors.js";

/** One line of the report: what the import changed relative to sops's reading. */
export interface DotenvImportChange {
  /** 1-based line of the input. */
  readonly line: number;
  /** The key (as imported) the change is about, when it is about an entry. */
  readonly key?: string;
  readonly what: string;
}

/** The result of {@link importNodeDotenv}. */
export interface DotenvImport {
  /**
   * The file in sops's dotenv format (plaintext, `\n` line ends); undefined when a value holds the
   * two characters `\n`, which that format would read back as a newline ({@link unwritable}).
   */
  readonly text: string | undefined;
  /** The first entry whose value sops's dotenv format cannot hold, when there is one. */
  readonly unwritable?: { readonly key: string; readonly line: number };
  /** The imported entries, in output order (the last of several equal keys). */
  readonly entries: readonly { readonly key: string; readonly value: string; readonly line: number }[];
  readonly changes: readonly DotenvImportChange[];
}

// The dotenv package's LINE, with the `d` flag for the positions of the key and the value.
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

interface Entry {
  key: string;
  value: string;
  first: number;
  last: number;
}

/**
 * Reads `source` as the `dotenv` package does and writes it in sops's dotenv format: comments and
 * empty lines where they were, one `KEY=VALUE` line per entry (newlines as `\n`).
 */
export function importNodeDotenv(source: string): DotenvImport {
  const crlf = /\r/.test(source);
  const text = source.replace(/\r\n?/g, "\n");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const starts: number[] = [];
  for (let i = 0, at = 0; i < lines.length; i++) {
    starts.push(at);
    at += lines[i]!.length + 1;
  }
  /** 0-based line of an offset. */
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  const changes: DotenvImportChange[] = [];
  const entryAt = new Map<number, Entry>();
  const covered = new Set<number>();
  for (const m of text.matchAll(LINE)) {
    const indices = m.indices!;
    const key = m[1]!;
    const first = lineOf(indices[1]![0]);
    const raw = m[2] ?? "";
    const valueEnd = indices[2] ? indices[2][1] : indices[1]![1];
    const last = raw === "" ? first : lineOf(Math.max(valueEnd - 1, indices[1]![0]));
    // The package's value rules, step by step.
    const trimmed = raw.trim();
    const quote = trimmed[0];
    let value = trimmed.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    const unquoted = value !== trimmed;
    if (quote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    for (let l = first; l <= last; l++) covered.add(l);
    const entry: Entry = { key, value, first, last };
    entryAt.set(first, entry);
    const note = (what: string): void => void changes.push({ line: first + 1, key, what });

    // Compared with sops's reading of the same line: key = text before the first `=`, value = the
    // rest of the line with `\n` read as a newline.
    const line = lines[first]!;
    const eq = line.indexOf("=");
    const sopsKey = eq === -1 ? undefined : line.slice(0, eq);
    const sopsValue = eq === -1 ? undefined : line.slice(eq + 1).replace(/\\n/g, "\n");
    if (sopsKey === undefined) {
      note(`"${key}: value" read as ${key}=value (sops would reject a line without "=")`);
    } else if (sopsKey !== key) {
      const exported = /^\s*export\s/.test(sopsKey);
      const bare = sopsKey.replace(/^\s*export\s+/, "");
      if (exported) note('"export " dropped from the key');
      if (bare.trim() !== key) note(`key read as ${key} (sops's key would be the text before the first "=")`);
      else if (bare !== key || (!exported && sopsKey !== bare)) note("spaces around the key dropped");
    }
    const tail = text.slice(valueEnd, starts[last]! + lines[last]!.length);
    const inline = /^[ \t]*#/.test(tail);
    if (inline) note("inline comment dropped (sops would keep it in the value)");
    if (last > first) note(`quoted value spans lines ${first + 1}-${last + 1}: read as one value with newlines (sops reads line by line)`);
    if (value !== sopsValue && sopsValue !== undefined) {
      if (unquoted) note(`${quote === '"' ? "double" : quote === "'" ? "single" : "back"} quotes removed (sops would keep them)`);
      if (quote === '"' && /\\r/.test(trimmed)) note("\\r escapes expanded (sops would keep them)");
      if (!unquoted && !inline && raw !== trimmed) note("spaces around the value trimmed");
    }
  }

  // Several entries with one key: the package keeps the last.
  const lastOf = new Map<string, number>();
  for (const [l, e] of entryAt) lastOf.set(e.key, l);
  for (const [l, e] of entryAt) {
    if (lastOf.get(e.key) !== l) changes.push({ line: l + 1, key: e.key, what: `dropped: line ${lastOf.get(e.key)! + 1} sets ${e.key} again (the dotenv package keeps the last)` });
  }

  let out = "";
  const entries: { key: string; value: string; line: number }[] = [];
  let unwritable: { key: string; line: number } | undefined;
  for (let l = 0; l < lines.length; l++) {
    const e = entryAt.get(l);
    if (e !== undefined) {
      if (lastOf.get(e.key) !== l) continue;
      if (e.value.includes("\\n")) unwritable ??= { key: e.key, line: l + 1 };
      out += `${e.key}=${e.value.replace(/\n/g, "\\n")}\n`;
      entries.push({ key: e.key, value: e.value, line: l + 1 });
      continue;
    }
    if (covered.has(l)) continue;
    const body = lines[l]!.trim();
    if (body === "") out += "\n";
    else if (body.startsWith("#")) out += `#${lines[l]!.replace(/^\s*#/, "")}\n`;
    else changes.push({ line: l + 1, what: "dropped: not a KEY=VALUE line (the dotenv package ignores it; sops would reject the file)" });
  }
  if (crlf) changes.unshift({ line: 1, what: "CRLF line ends read as LF (sops would keep a \\r at the end of every value)" });
  changes.sort((a, b) => a.line - b.line);
  return { text: unwritable ? undefined : out, ...(unwritable ? { unwritable } : {}), entries, changes };
}

/** The error for {@link DotenvImport.unwritable} when the output is sops's dotenv format. */
export function unwritableDotenvValue(at: { key: string; line?: number }): HushError {
  return new HushError(
    "CANNOT_DUMP_TREE",
    `the value of ${at.key}${at.line === undefined ? "" : ` (line ${at.line})`} contains the two characters \\n, which sops's dotenv format reads as a newline`,
    "write the output as YAML or JSON (-o FILE.yaml), or the value without a literal backslash-n",
  );
}

/** `[\w.-]`, the `dotenv` package's key characters. */
function isKeyByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e || c === 0x2d;
}

/** ASCII that either reader treats specially at the ends of a value: whitespace, quotes, `#`, `\`. */
function isEdgeByte(c: number): boolean {
  return c <= 0x20 || c === 0x22 || c === 0x27 || c === 0x60 || c === 0x23 || c === 0x5c || c >= 0x7f;
}

/**
 * True when the `dotenv` package and sops certainly read `source` alike, so that
 * {@link importNodeDotenv} would report no change: no `\r`, and every line empty, a `#` comment or
 * `KEY=VALUE` with a key of `[\w.-]` characters given once and a value that is not empty, starts
 * and ends with printable ASCII that is not a quote, and holds no `#` or `\`. A cheap check over
 * the bytes (no string or object per line) that spares a large file the full reading; false says
 * nothing (the full reading decides; two keys with one hash count as a repeat).
 */
export function readAlikeBySopsAndNode(source: string | Uint8Array): boolean {
  const b = typeof source === "string" ? Buffer.from(source, "utf8") : source;
  if (b.indexOf(0x0d) !== -1) return false;
  let hashes = new Int32Array(1024);
  let count = 0;
  const n = b.length;
  for (let start = 0; start < n; ) {
    let end = b.indexOf(0x0a, start);
    if (end === -1) end = n;
    if (end > start && b[start] !== 0x23) {
      let i = start;
      let h = 0x811c9dc5;
      for (; i < end && b[i] !== 0x3d; i++) {
        if (!isKeyByte(b[i]!)) return false;
        h = Math.imul(h ^ b[i]!, 0x01000193);
      }
      if (i === start || i === end || i + 1 === end) return false; // no key, no `=`, or an empty value
      if (isEdgeByte(b[i + 1]!) || isEdgeByte(b[end - 1]!)) return false;
      for (let j = i + 1; j < end; j++) if (b[j] === 0x23 || b[j] === 0x5c) return false;
      if (count === hashes.length) {
        const grown = new Int32Array(count * 2);
        grown.set(hashes);
        hashes = grown;
      }
      hashes[count++] = h;
    }
    start = end + 1;
  }
  const used = hashes.subarray(0, count).sort();
  for (let i = 1; i < used.length; i++) if (used[i] === used[i - 1]) return false;
  return true;
}
