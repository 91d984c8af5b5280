/**
 * age master keys (sops `age/keysource.go`, SOPS-FORMAT.md §8.3), the client `keys/age.ts` loads
 * lazily: X25519 (`age1…`), hybrid post-quantum (`age1pq1…`), SSH (`ssh-ed25519`, `ssh-rsa`:
 * `age-ssh.ts`) and plugin (`age1<name>1…`: `age-plugin.ts`) recipients (`age-recipient.ts`);
 * identities from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD` (run per entry with
 * `SOPS_AGE_RECIPIENT`, as sops does), the default keys file, SSH keys (`age-sources.ts`),
 * plugins, and passphrase-protected identity files (asked for on the terminal), loaded here,
 * parsed by `age-identity-parse.ts` and held by `age-identity-set.ts`.
 *
 * X25519 identities (`AGE-SECRET-KEY-1…`) are loaded, checked and used with `node:crypto` alone
 * (`age-native.ts`): `age-encryption` costs ~80 ms to import and ~38 ms for its first decrypt,
 * most of an age-only `hush decrypt`. It is imported on first use (`age-common.ts`), never at the
 * top level, and only for what needs it: hybrid post-quantum identities, encryption, key generation.
 *
 * Secret keys never appear in an error message or a problem line (`oneLine` in `age-common.ts`),
 * and key files are read as bytes that are zeroed once parsed (`age-identity-parse.ts`).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { posix, win32 } from "node:path";
import { loadSshSources } from "./age-sources.js";
import { fileProblem, keyFileExposure } from "../util/fs.js";
import { splitCommand } from "../util/shlex.js";
import { loadAgeLib, oneLine } from "./age-common.js";
import { parseIdentityBytes, parseIdentityText, pluginIdentities, type EncryptedSource, type HeldIdentity, type Parsed } from "./age-identity-parse.js";
import { AgeIdentitySet } from "./age-identity-set.js";

export { ageRecipient, parseAgeRecipients } from "./age-recipient.js";
export type { AgeIdentitySet } from "./age-identity-set.js";

/**
 * How long `SOPS_AGE_KEY_CMD` may run: `HUSH_KEY_TIMEOUT_MS` when set (as for key services), else
 * 60 s (longer than the key services' 10 s: the command may wait for a person to unlock a password
 * manager). It is then killed (SIGKILL: a hung command may ignore SIGTERM).
 */
function keyCmdTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env["HUSH_KEY_TIMEOUT_MS"];
  const n = raw === undefined || raw === "" ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : 60_000;
}

/** Builds an identity set from keys-file text (as `SOPS_AGE_KEY` is read). */
export async function ageIdentitiesFromText(text: string, source = "identities", env: NodeJS.ProcessEnv = process.env): Promise<AgeIdentitySet> {
  const p = parseIdentityText(text, source);
  return new AgeIdentitySet(p.identities, p.problems, { stanzaIdentities: pluginIdentities(p.plugins ?? [], env) });
}

/** Runs `SOPS_AGE_KEY_CMD` and returns its stdout (bytes: parsed, then zeroed), or a problem line. */
function runKeyCommand(cmd: string, env: NodeJS.ProcessEnv): { out: Buffer } | { problem: string } {
  let argv: string[];
  try {
    argv = splitCommand(cmd);
  } catch (err) {
    return { problem: `SOPS_AGE_KEY_CMD: cannot parse the command: ${oneLine(err)}` };
  }
  const [file, ...args] = argv;
  if (file === undefined) return { problem: "SOPS_AGE_KEY_CMD: empty command" };
  // Only the program's name goes in messages: the arguments could be anything.
  const name = /AGE-SECRET-KEY/i.test(file) ? "(command)" : JSON.stringify(file);
  // The caller sets SOPS_AGE_RECIPIENT to the entry being decrypted, as sops does.
  const childEnv: NodeJS.ProcessEnv = { ...env };
  try {
    const out = execFileSync(file, args, {
      env: childEnv,
      stdio: ["ignore", "pipe", "inherit"],
      timeout: keyCmdTimeoutMs(env),
      killSignal: "SIGKILL",
      maxBuffer: 16 << 20,
      windowsHide: true,
    });
    return { out };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; signal?: string | null };
    let why: string;
    if (e.code === "ENOENT") why = "command not found";
    else if (e.code === "ETIMEDOUT") why = `timed out after ${keyCmdTimeoutMs(env) / 1000} s (HUSH_KEY_TIMEOUT_MS)`;
    else if (e.code === "EACCES") why = "permission denied";
    else if (e.code === "ENOBUFS") why = "too much output";
    else if (typeof e.status === "number") why = `exited with status ${e.status}`;
    else if (e.signal) why = `killed by ${e.signal}`;
    else why = `failed${e.code ? ` (${e.code})` : ""}`;
    return { problem: `SOPS_AGE_KEY_CMD ${name}: ${why}` };
  }
}

/**
 * The default keys file, `<user config dir>/sops/age/keys.txt` as sops finds it: on Linux
 * `$XDG_CONFIG_HOME` (when absolute) or `~/.config`; on macOS `$XDG_CONFIG_HOME` when set, else
 * `~/Library/Application Support`; on Windows `%AppData%`.
 */
export function defaultAgeKeyFile(
  env: NodeJS.ProcessEnv = process.env,
  platform: string = process.platform, // (string: the published types need no @types/node)
): string {
  const home = env["HOME"] || homedir();
  const xdg = env["XDG_CONFIG_HOME"];
  if (platform === "win32") {
    const appData = env["AppData"] || env["APPDATA"] || win32.join(env["USERPROFILE"] || homedir(), "AppData", "Roaming");
    return win32.join(appData, "sops", "age", "keys.txt");
  }
  let dir: string;
  if (platform === "darwin") {
    dir = xdg ? xdg : posix.join(home, "Library", "Application Support");
  } else {
    dir = xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, ".config");
  }
  return posix.join(dir, "sops", "age", "keys.txt");
}

/**
 * Loads every age identity sops would (minus SSH keys and plugins) and combines them:
 * `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD` and the default keys file. Never
 * throws for a missing or broken source: the problem is remembered in `problems`. A missing
 * default file is noted only when no identity was found anywhere. Empty variables count as unset.
 */
export async function loadAgeIdentities(env: NodeJS.ProcessEnv = process.env): Promise<AgeIdentitySet> {
  const identities: HeldIdentity[] = [];
  const problems: string[] = [];
  const encrypted: EncryptedSource[] = [];
  const plugins: NonNullable<Parsed["plugins"]> = [];
  const add = (p: Parsed) => {
    plugins.push(...(p.plugins ?? []));
    identities.push(...p.identities);
    problems.push(...p.problems);
    encrypted.push(...(p.encrypted ?? []));
  };

  const key = env["SOPS_AGE_KEY"];
  if (key) add(parseIdentityText(key, "SOPS_AGE_KEY"));

  const keyFile = env["SOPS_AGE_KEY_FILE"];
  if (keyFile) {
    const source = `SOPS_AGE_KEY_FILE ${keyFile}`;
    const exposed = await keyFileExposure(keyFile, source, env);
    if (exposed) problems.push(exposed);
    else {
      try {
        add(parseIdentityBytes(readFileSync(keyFile), source));
      } catch (err) {
        problems.push(`${source}: ${fileProblem(err)}`);
      }
    }
  }

  // The commands run later, once per entry, with SOPS_AGE_RECIPIENT set to its recipient.
  const command = (cmd: string | undefined) =>
    cmd ? (recipient: string) => runKeyCommand(cmd, withRecipient(env, recipient)) : undefined;
  const keyCommand = command(env["SOPS_AGE_KEY_CMD"]);

  const defaultFile = defaultAgeKeyFile(env);
  let text: Buffer | undefined;
  let missing = false;
  try {
    // Looked up first: it is often missing (SOPS_AGE_KEY_FILE is used instead), and a failed read
    // throws, which costs more at start-up than the check (statSync throws for anything but ENOENT).
    if (statSync(defaultFile, { throwIfNoEntry: false }) === undefined) missing = true;
    else text = readFileSync(defaultFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") problems.push(`${defaultFile}: ${fileProblem(err)}`);
    else missing = true;
  }
  if (missing && identities.length === 0 && encrypted.length === 0 && plugins.length === 0) problems.push(`${defaultFile}: no such file`);
  if (text !== undefined) {
    const exposed = await keyFileExposure(defaultFile, defaultFile, env);
    if (exposed) {
      problems.push(exposed);
      text.fill(0);
    } else add(parseIdentityBytes(text, defaultFile));
  }

  const ssh = await loadSshSources(env);
  const sshCommand = command(ssh.command);
  // A missing default keys file is no problem when SSH keys or commands can give identities.
  const noDefault = `${defaultFile}: no such file`;
  if ((ssh.identities.length > 0 || ssh.protectedKeys.length > 0 || keyCommand || sshCommand) && problems.at(-1) === noDefault) problems.pop();
  return new AgeIdentitySet(identities, [...ssh.problems, ...problems], {
    stanzaIdentities: [...ssh.identities, ...pluginIdentities(plugins, env)],
    env,
    protectedSsh: ssh.protectedKeys,
    sshNotes: ssh.notes,
    encrypted,
    ...(keyCommand ? { keyCommand } : {}),
    ...(sshCommand ? { sshCommand } : {}),
  });
}

/** `env` with SOPS_AGE_RECIPIENT set to `recipient` (removed when there is none), as sops runs commands. */
function withRecipient(env: NodeJS.ProcessEnv, recipient: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...env, SOPS_AGE_RECIPIENT: recipient };
  if (recipient === "") delete e["SOPS_AGE_RECIPIENT"];
  return e;
}

// ---------------------------------------------------------------------------------------------
// Key generation

/** `time.Now().Format(time.RFC3339)` in local time, as age-keygen writes it. */
function rfc3339Local(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? "Z" : `${off > 0 ? "+" : "-"}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}` +
    `T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`
  );
}

/** A new X25519 identity and the keys-file text `age-keygen` would write for it. */
export async function generateAgeKeyFile(): Promise<{ identity: string; recipient: string; text: string }> {
  const { generateX25519Identity, identityToRecipient } = await loadAgeLib();
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const text = `# created: ${rfc3339Local(new Date())}\n# public key: ${recipient}\n${identity}\n`;
  return { identity, recipient, text };
}
