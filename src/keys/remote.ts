/**
 * What the network key services (AWS KMS, GCP KMS, Azure Key Vault, Huawei Cloud KMS; Vault takes
 * the deadline and attempts) share: one deadline per operation, bounded retries, a one-line reason
 * for any failure, and "unwrap each entry once" ({@link remoteUnwrapper}).
 *
 * Why a deadline of our own on top of each SDK's timeouts: the SDKs time out single attempts, then
 * retry, and some steps (credential chains probing instance metadata, token exchanges) have no
 * timeout we can set. A dead endpoint must fail within `HUSH_KEY_TIMEOUT_MS` overall, so every
 * operation runs under one `AbortSignal` and one timer, whichever step it is in.
 */
import { HushError } from "../errors.js";
import type { KeyKind } from "../model/metadata.js";
import type { KeyEntry, LoadedUnwrapper } from "./key-source.js";

/** Default for {@link keyTimeoutMs}: long enough for a cold TLS handshake to a far region. */
const DEFAULT_KEY_TIMEOUT_MS = 10_000;

/** Attempts per request, the first included: enough for a blip, bounded for a dead endpoint. */
export const MAX_ATTEMPTS = 3;

/**
 * The time one key operation may take, retries included: `HUSH_KEY_TIMEOUT_MS` (milliseconds;
 * default 10 s). Throws HushError CONFIG for a value that is not a positive number. One rule for
 * every network key service (Vault included): the variable means one thing everywhere.
 */
export function keyTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env["HUSH_KEY_TIMEOUT_MS"];
  if (raw === undefined || raw.trim() === "") return DEFAULT_KEY_TIMEOUT_MS;
  const n = Number(raw.trim());
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(n) || n <= 0) {
    throw new HushError("CONFIG", `HUSH_KEY_TIMEOUT_MS must be a positive number of milliseconds, not ${JSON.stringify(raw.slice(0, 20))}`);
  }
  return Math.ceil(n);
}

/** The error a deadline rejects with; {@link networkReason} turns it into "timed out after …". */
class DeadlineError extends Error {
  override readonly name = "DeadlineError";
  constructor(readonly ms: number) {
    super(`timed out after ${formatMs(ms)}`);
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * Runs `op` with a signal that aborts after `ms`, and gives up at that moment even if `op` ignores
 * the signal (its late result or error is then dropped). The timer is always cleared, so a
 * finished operation leaves nothing that keeps the process alive.
 */
export async function withDeadline<T>(ms: number, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new DeadlineError(ms);
      controller.abort(e);
      reject(e);
    }, ms);
  });
  try {
    return await Promise.race([op(controller.signal), expired]);
  } catch (e) {
    // An SDK that honours the signal rejects with its own AbortError; report the deadline instead.
    if (controller.signal.aborted) throw controller.signal.reason as Error;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** errno codes of socket and TLS failures, in words. */
const ERRNO_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the server",
  EPIPE: "connection closed by the server",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed (temporary)",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS certificate not trusted (self-signed)",
  SELF_SIGNED_CERT_IN_CHAIN: "TLS certificate not trusted (self-signed in chain)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate not trusted",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "TLS certificate not trusted",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate does not match the host name",
};

/** The first line of a message, without control characters, at most `max` characters. */
export function firstLine(message: string, max = 160): string {
  const line = (message.split(/\r?\n/, 1)[0] ?? "").replace(/[\u0000-\u001f\u007f]/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Walks an error and its causes (and AggregateError members), depth-first, at most 8 deep. */
function* errorChain(err: unknown, depth = 0): Generator<unknown> {
  if (err === undefined || err === null || depth > 8) return;
  yield err;
  if (err instanceof AggregateError) for (const e of err.errors) yield* errorChain(e, depth + 1);
  if (typeof err === "object" && "cause" in err) yield* errorChain((err as { cause?: unknown }).cause, depth + 1);
}

/**
 * A short reason for a network-level failure anywhere in the error's cause chain (a deadline, an
 * errno code such as ECONNREFUSED), with the address when some error in the chain carries it;
 * undefined when the failure is not a network one.
 */
function networkReason(err: unknown): string | undefined {
  let code: string | undefined;
  let where: string | undefined;
  for (const e of errorChain(err)) {
    if (e instanceof DeadlineError) return `${e.message} (HUSH_KEY_TIMEOUT_MS)`;
    if (typeof e !== "object" || e === null) continue;
    const c = (e as { code?: unknown }).code;
    if (code === undefined && typeof c === "string" && c in ERRNO_REASONS) code = c;
    const { address, port } = e as { address?: unknown; port?: unknown };
    if (where === undefined && typeof address === "string") where = `${address}${typeof port === "number" ? `:${port}` : ""}`;
    // Libraries that keep the socket error as text only (grpc-js: "connect ECONNREFUSED 1.2.3.4:5").
    const m = e instanceof Error ? /\b(E[A-Z]{4,}[A-Z_]*)\b(?: (\[[\da-f:]+\](?::\d+)?|[\d.]*\d(?::\d+)?))?/.exec(e.message) : null;
    if (m && m[1]! in ERRNO_REASONS) {
      code ??= m[1]!;
      if (m[2]) where ??= m[2];
    }
  }
  return code === undefined ? undefined : `${ERRNO_REASONS[code]}${where ? ` (${where})` : ""}`;
}

/**
 * One line for a key service's failure: a network reason first ({@link networkReason}), then the
 * service's own reading of the error (`specific`: status codes, credential errors), else the
 * message's first line.
 */
export function serviceReason(err: unknown, specific: (err: Error) => string | undefined): string {
  const net = networkReason(err);
  if (net) return net;
  if (!(err instanceof Error)) return "unexpected failure";
  return specific(err) ?? (firstLine(err.message, 140) || err.name);
}

/**
 * The unwrapper of a network key service. Whether a key is usable is known only by asking, so
 * `unwrap` never returns null: it throws HushError KEY_SOURCE with the reason. `prepare` reads an
 * entry: the fields that identify its wrapped key, and the request that unwraps it, made once per
 * distinct key ({@link OnceCache}). Each caller gets a copy: a caller may zero-fill the key it was
 * given.
 */
export function remoteUnwrapper(
  kind: KeyKind,
  service: string,
  prepare: (entry: KeyEntry) => { readonly id: readonly unknown[]; readonly unwrap: () => Promise<Uint8Array> },
): Promise<LoadedUnwrapper> {
  const once = new OnceCache<Uint8Array>();
  return Promise.resolve({
    kind,
    problems: [],
    describe: () => `${service} could not decrypt it`,
    unwrap(entry: KeyEntry): Promise<Uint8Array> {
      const { id, unwrap } = prepare(entry);
      return once.get(JSON.stringify(id), unwrap).then((k) => k.slice());
    },
  });
}

/** `time.Now().UTC().Format(time.RFC3339)`, as sops writes `created_at`. */
export function createdAtNow(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Remembers each unwrap by a key made of the entry's fields, so that one run asks a key service
 * once per distinct wrapped key, even when several files, documents or groups carry the same
 * entry. A failure is remembered too: a dead endpoint is not waited for twice.
 */
class OnceCache<T> {
  private readonly done = new Map<string, Promise<T>>();
  /** The result for `key`, computing it with `compute` the first time. */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    let p = this.done.get(key);
    if (!p) {
      p = compute();
      this.done.set(key, p);
    }
    return p;
  }
}

/** A string field of an entry, or "" when absent. */
export function entryString(entry: Readonly<Record<string, unknown>>, field: string): string {
  const v = entry[field];
  return typeof v === "string" ? v : "";
}

/** Decodes standard or URL-safe base64 (padded or not) strictly: undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const s = text.trim();
  if (s === "" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) return undefined;
  const buf = Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return buf.length === 0 ? undefined : new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}
