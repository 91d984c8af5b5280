/**
 * `hush-sops/config` for CommonJS: `require("hush-sops/config")` and `node -r hush-sops/config`
 * must have the variables set when `require` returns, but decrypting is asynchronous (key files
 * are read, KMS services are called). So a worker thread does the asynchronous work
 * (`readConfigValues`, the same code as `--import hush-sops/config`), and this thread waits for
 * it with `Atomics.wait`: every key service works, KMS included, on every Node that `engines`
 * allows. The values come back through a `MessagePort`, in memory: no temporary file, no child
 * process, nothing on stdout. Bundled into dist/bundle/lib.cjs (package.ts), which is also the
 * worker's script (`__filename`).
 */
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { HushError } from "../errors.js";
import type { ErrorCode } from "../errors.js";
import { applyConfigValues, config, failConfig, readConfigValues } from "./config-load.js";
import type { ConfigResult, ConfigValues } from "./config-load.js";

export { config, failConfig };

/** What the worker sends back: the values, or the failure (a HushError's parts, never a stack). */
type Reply = { ok: ConfigValues } | { error: { code?: ErrorCode; message: string; hint?: string } | { name: string } };

interface Job {
  readonly hushConfigSync: { readonly signal: Int32Array; readonly port: MessagePort };
}

const job = (isMainThread ? undefined : (workerData as Partial<Job> | undefined)?.hushConfigSync) ?? undefined;

if (job !== undefined) {
  // The worker: decrypt, reply, wake the waiting thread.
  readConfigValues(process.env)
    .then(
      (ok): Reply => ({ ok }),
      (e: unknown): Reply => ({ error: e instanceof HushError ? { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } : { name: e instanceof Error ? e.name : typeof e } }),
    )
    .then((reply) => {
      job.port.postMessage(reply);
      Atomics.store(job.signal, 0, 1);
      Atomics.notify(job.signal, 0);
    });
}

/**
 * Loads the files into `env` synchronously (see the module comment); throws a `HushError` as
 * `config()` rejects with one.
 */
export function configSync(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  // No execArgv: a `-r hush-sops/config` of the parent must not run again in the worker.
  const worker = new Worker(__filename, {
    workerData: { hushConfigSync: { signal, port: port2 } } satisfies Job,
    transferList: [port2],
    env: { ...env },
    execArgv: [],
    stdout: true,
    stderr: true,
  });
  try {
    Atomics.wait(signal, 0, 0);
    const reply = receiveMessageOnPort(port1)?.message as Reply | undefined;
    if (reply === undefined) throw new HushError("INTERNAL", "hush-sops/config: the decrypting worker sent no reply");
    if ("ok" in reply) return applyConfigValues(env, reply.ok);
    const { error } = reply;
    if ("message" in error) throw new HushError(error.code ?? "INTERNAL", error.message, error.hint);
    throw new HushError("INTERNAL", `hush-sops/config: internal error (${error.name}) while loading secrets`);
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/** What `require("hush-sops/config")` runs: `configSync()`, or the one-line failure and exit. */
export function configSyncOrExit(): ConfigResult | undefined {
  // In the worker itself (should its script ever be this entry): nothing to do.
  if (!isMainThread) return undefined;
  try {
    return configSync();
  } catch (e) {
    return failConfig(e);
  }
}
