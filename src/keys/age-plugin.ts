/**
 * age plugins (C2SP age-plugin spec), as sops uses them through `filippo.io/age/plugin`:
 * `age1<name>1…` recipients and `AGE-PLUGIN-<NAME>-1…` identities are handled by an
 * `age-plugin-<name>` binary found on PATH (absolute PATH entries only, as the spec requires),
 * driven over stdin/stdout with the `recipient-v1` and `identity-v1` state machines.
 *
 * Phase 1 (client, one way): the recipients or identities, then the file key or the file's
 * stanzas, then `done`. Phase 2 (plugin, request/response): stanzas or file keys, messages
 * (shown on stderr), requests for a value (asked on the terminal when there is one, else `fail`),
 * errors; `done` ends it. Unknown requests get `unsupported`, as the spec says.
 *
 * Messages never carry identities (they may hold key material); a plugin's own error text is
 * shown shortened to one line.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { HushError } from "../errors.js";
import type { AgeStanza } from "./age-native.js";
import type { StanzaIdentity } from "./age-sources.js";
import { NoTerminal, readSecretFromTerminal } from "./tty-prompt.js";

/** How long one plugin run may take (it may wait for a person: a PIN, a touch). */
const PLUGIN_TIMEOUT_MS = 5 * 60_000;
const NAME_RE = /^[a-z0-9._+-]+$/;

/** One protocol stanza: its arguments (the first is the command) and body. */
interface Msg {
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64").replace(/=+$/, "");

function encodeMsg(args: readonly string[], body: Uint8Array = new Uint8Array(0)): string {
  const text = b64(body);
  let out = `-> ${args.join(" ")}\n`;
  // 64 columns a line; the last line is shorter (possibly empty), which ends the body.
  for (let i = 0; i <= text.length; i += 64) out += `${text.slice(i, i + 64)}\n`;
  return out;
}

/** The plugin name of a recipient (`age1name1…`) or identity (`AGE-PLUGIN-NAME-1…`), or null. */
export function pluginName(s: string): string | null {
  const low = s.toLowerCase();
  const sep = low.lastIndexOf("1");
  if (sep < 0) return null;
  const hrp = low.slice(0, sep);
  let name: string | undefined;
  if (hrp.startsWith("age1") && hrp.length > 4) name = hrp.slice(4);
  else if (hrp.startsWith("age-plugin-") && hrp.endsWith("-") && hrp.length > 12) name = hrp.slice(11, -1);
  return name && NAME_RE.test(name) ? name : null;
}

/** The plugin binary on PATH (absolute entries only), or null. */
function findPlugin(name: string, env: NodeJS.ProcessEnv): string | null {
  const file = `age-plugin-${name}`;
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue; // the spec forbids relative PATH entries
    const p = join(dir, file);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** A running plugin: write messages, read messages. */
class PluginConversation {
  #buf = "";
  #lines: string[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  #stderr = "";
  readonly #child: import("node:child_process").ChildProcess;
  readonly done: Promise<number | null>;

  constructor(child: import("node:child_process").ChildProcess) {
    this.#child = child;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      this.#buf += d;
      let nl: number;
      while ((nl = this.#buf.indexOf("\n")) !== -1) {
        this.#lines.push(this.#buf.slice(0, nl));
        this.#buf = this.#buf.slice(nl + 1);
      }
      this.#wake();
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      if (this.#stderr.length < 4096) this.#stderr += d;
    });
    child.stdin!.on("error", () => {}); // a plugin that exits early: reported by read()
    this.done = new Promise((resolve) => {
      child.on("close", (code) => {
        this.#ended = true;
        this.#wake();
        resolve(code);
      });
      child.on("error", () => {
        this.#ended = true;
        this.#wake();
        resolve(null);
      });
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The plugin's last line of stderr, shortened. */
  get lastError(): string {
    const l = this.#stderr.trim().split(/\r?\n/).pop() ?? "";
    return l.length > 160 ? `${l.slice(0, 157)}…` : l;
  }

  send(args: readonly string[], body?: Uint8Array): void {
    this.#child.stdin!.write(encodeMsg(args, body));
  }

  async #line(): Promise<string> {
    while (this.#lines.length === 0) {
      if (this.#ended) throw new Error("the plugin ended the conversation");
      await new Promise<void>((r) => this.#waiters.push(r));
    }
    return this.#lines.shift()!;
  }

  async read(): Promise<Msg> {
    const head = await this.#line();
    if (!head.startsWith("-> ")) throw new Error("the plugin sent a malformed message");
    const args = head.slice(3).split(" ");
    const parts: Buffer[] = [];
    for (;;) {
      const l = await this.#line();
      if (!/^[A-Za-z0-9+/]*$/.test(l) || l.length > 64) throw new Error("the plugin sent a malformed message body");
      parts.push(Buffer.from(l, "base64"));
      if (l.length < 64) break;
    }
    return { args, body: Buffer.concat(parts) };
  }

  kill(): void {
    this.#child.kill();
  }
}

/**
 * Runs one state machine: starts the plugin, sends phase 1, answers phase 2 with `handle` (which
 * returns true when it took the message) and the common requests. Returns the errors the plugin
 * reported. Throws HushError KEY_SOURCE when the plugin is missing or breaks the protocol.
 */
async function converse(
  name: string,
  machine: "recipient-v1" | "identity-v1",
  phase1: readonly Msg[],
  env: NodeJS.ProcessEnv,
  handle: (m: Msg) => boolean,
): Promise<string[]> {
  const bin = findPlugin(name, env);
  const who = `age-plugin-${name}`;
  if (!bin) throw new HushError("KEY_SOURCE", `age: plugin ${who} not found on PATH`, `install ${who}, or put it on PATH (absolute directories only)`);
  const { spawn } = await import("node:child_process");
  const child = spawn(bin, [`--age-plugin=${machine}`], { env, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
  const conv = new PluginConversation(child);
  const timer = setTimeout(() => conv.kill(), PLUGIN_TIMEOUT_MS);
  const errors: string[] = [];
  try {
    for (const m of phase1) conv.send(m.args, m.body);
    conv.send(["done"]);
    for (;;) {
      const m = await conv.read();
      const cmd = m.args[0];
      if (cmd === "done") break;
      if (handle(m)) {
        conv.send(["ok"]);
      } else if (cmd === "msg") {
        process.stderr.write(`hush: ${who}: ${oneLine(Buffer.from(m.body).toString("utf8"))}\n`);
        conv.send(["ok"]);
      } else if (cmd === "request-secret" || cmd === "request-public") {
        try {
          const v = await readSecretFromTerminal(`${who}: ${oneLine(Buffer.from(m.body).toString("utf8"))}`);
          conv.send(["ok"], Buffer.from(v, "utf8"));
        } catch (e) {
          if (!(e instanceof NoTerminal)) throw e;
          conv.send(["fail"]);
        }
      } else if (cmd === "confirm") {
        conv.send(["fail"]);
      } else if (cmd === "error") {
        errors.push(oneLine(Buffer.from(m.body).toString("utf8")) || m.args.slice(1).join(" "));
        conv.send(["ok"]);
      } else if (cmd === "labels") {
        conv.send(["ok"]);
      } else {
        conv.send(["unsupported"]);
      }
    }
  } catch (e) {
    conv.kill();
    await conv.done;
    const why = conv.lastError || (e instanceof Error ? e.message : "failed");
    throw new HushError("KEY_SOURCE", `age: plugin ${who} (${machine}): ${why}`);
  } finally {
    clearTimeout(timer);
  }
  child.stdin!.end();
  await conv.done;
  return errors;
}

function oneLine(s: string): string {
  const l = (s.split(/\r?\n/)[0] ?? "").replace(/AGE-(SECRET-KEY|PLUGIN)-[A-Z0-9-]+/gi, "AGE-…");
  return l.length > 160 ? `${l.slice(0, 157)}…` : l;
}

/** Wraps `fileKey` to a plugin recipient with `recipient-v1`; returns the stanzas. */
export async function wrapWithPlugin(recipient: string, fileKey: Uint8Array, env: NodeJS.ProcessEnv): Promise<AgeStanza[]> {
  const name = pluginName(recipient);
  if (!name) throw new HushError("USAGE", "not an age plugin recipient");
  const stanzas: AgeStanza[] = [];
  const errors = await converse(
    name,
    "recipient-v1",
    [
      { args: ["add-recipient", recipient], body: new Uint8Array(0) },
      { args: ["wrap-file-key"], body: fileKey },
      { args: ["extension-labels"], body: new Uint8Array(0) },
    ],
    env,
    (m) => {
      if (m.args[0] !== "recipient-stanza") return false;
      if (m.args[1] !== "0" || m.args.length < 3) throw new Error("the plugin sent a stanza for an unknown file");
      stanzas.push({ type: m.args[2]!, args: m.args.slice(3), body: m.body });
      return true;
    },
  );
  if (errors.length > 0) throw new HushError("KEY_SOURCE", `age: plugin age-plugin-${name} could not wrap the key: ${errors[0]}`);
  if (stanzas.length === 0) throw new HushError("KEY_SOURCE", `age: plugin age-plugin-${name} returned no stanza`);
  return stanzas;
}

/** The identities of one plugin, unwrapping with `identity-v1` (one plugin run per file). */
export class PluginIdentity implements StanzaIdentity {
  readonly #identities: readonly string[];
  readonly #env: NodeJS.ProcessEnv;
  readonly name: string;
  readonly source: string;

  constructor(name: string, identities: readonly string[], env: NodeJS.ProcessEnv, source: string) {
    this.name = name;
    this.#identities = identities;
    this.#env = env;
    this.source = source;
  }

  async unwrapFileKey(stanzas: readonly AgeStanza[]): Promise<Uint8Array | null> {
    let key: Uint8Array | null = null;
    const errors = await converse(
      this.name,
      "identity-v1",
      [
        ...this.#identities.map((id) => ({ args: ["add-identity", id], body: new Uint8Array(0) })),
        ...stanzas.map((s) => ({ args: ["recipient-stanza", "0", s.type, ...s.args], body: s.body })),
      ],
      this.#env,
      (m) => {
        if (m.args[0] !== "file-key") return false;
        if (m.args[1] !== "0" || m.body.length !== 16) throw new Error("the plugin sent a malformed file key");
        key = Uint8Array.from(m.body);
        return true;
      },
    );
    if (key === null && errors.length > 0) throw new HushError("KEY_SOURCE", `age: plugin age-plugin-${this.name}: ${errors[0]}`);
    return key;
  }
}
