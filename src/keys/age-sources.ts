/**
 * age identity sources beyond keys files, as sops's `age/keysource.go` loads them: SSH private
 * keys (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, `~/.ssh/id_ed25519`,
 * `~/.ssh/id_rsa`, in that order, before every other source), and the commands sops runs per
 * entry with `SOPS_AGE_RECIPIENT` set to the entry's recipient.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { HushError } from "../errors.js";
import { fileProblem } from "../util/fs.js";
import type { AgeStanza } from "./age-native.js";
import { readSshPrivateKey, type SshIdentity, type SshKeyRead } from "./age-ssh.js";

/** An identity that works on parsed stanzas (SSH keys, plugins, passphrase-protected files). */
export interface StanzaIdentity {
  /** For messages: where it came from. */
  readonly source: string;
  /** The file key, null when no stanza is for this identity; throws HushError for a broken one. */
  unwrapFileKey(stanzas: readonly AgeStanza[]): Uint8Array | null | Promise<Uint8Array | null>;
}

/** A passphrase-protected SSH key hush holds but cannot open, and the tag of its public key. */
export interface ProtectedSshKey {
  readonly source: string;
  readonly type: string;
  readonly tag: string | null;
  /** Opens it with its passphrase, when hush can (see `age-ssh.ts`). */
  readonly open?: (passphrase: string) => SshIdentity;
}

/** What the SSH sources gave. */
export interface SshSources {
  readonly identities: SshIdentity[];
  readonly protectedKeys: ProtectedSshKey[];
  /** Every location looked at, with what happened: for "no identity matched" messages. */
  readonly notes: string[];
  readonly problems: string[];
  /** `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, run per entry (sops sets SOPS_AGE_RECIPIENT). */
  readonly command: string | undefined;
}

/** Folds one read key into `out`. */
function addSshRead(out: SshSources, read: SshKeyRead): void {
  if ("identity" in read) {
    out.identities.push(read.identity);
    out.notes.push(`${read.identity.source} (${read.identity.type})`);
  } else {
    out.protectedKeys.push(read.protectedKey);
    if (read.protectedKey.open) {
      out.notes.push(`${read.protectedKey.source} (passphrase-protected: asked for when a file needs it)`);
    } else {
      out.notes.push(`${read.protectedKey.source} (skipped: passphrase-protected in a format hush cannot open)`);
      out.problems.push(
        `${read.protectedKey.source}: the SSH key is passphrase-protected in a format hush cannot open ` +
          "(give an unprotected copy with SOPS_AGE_SSH_PRIVATE_KEY_FILE or SOPS_AGE_SSH_PRIVATE_KEY_CMD)",
      );
    }
  }
}

/** Reads one SSH key file into `out`; `mustExist` false for the default paths. */
async function readKeyFile(out: SshSources, path: string, source: string, mustExist: boolean): Promise<void> {
  let text: string;
  try {
    // A default path is often missing: looked up first, as a failed read throws, which costs more.
    if (!mustExist && statSync(path, { throwIfNoEntry: false }) === undefined) return;
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!mustExist && (code === "ENOENT" || code === "ENOTDIR")) return;
    out.problems.push(`${source}: ${fileProblem(err)}`);
    out.notes.push(`${source} (unreadable)`);
    return;
  }
  try {
    addSshRead(out, readSshPrivateKey(text, source));
  } catch (err) {
    out.problems.push(err instanceof HushError ? err.message : `${source}: malformed SSH private key`);
    out.notes.push(`${source} (skipped: not a usable key)`);
  }
}

/**
 * Loads the SSH identities sops would, in sops's order. Empty variables count as set (sops uses
 * LookupEnv) except the command, which sops would fail to run: an empty one is ignored.
 */
export async function loadSshSources(env: NodeJS.ProcessEnv): Promise<SshSources> {
  const out: SshSources = { identities: [], protectedKeys: [], notes: [], problems: [], command: undefined };
  const file = env["SOPS_AGE_SSH_PRIVATE_KEY_FILE"];
  if (file) await readKeyFile(out, file, `SOPS_AGE_SSH_PRIVATE_KEY_FILE ${file}`, true);
  const cmd = env["SOPS_AGE_SSH_PRIVATE_KEY_CMD"];
  const home = env["HOME"] || homedir();
  if (home) {
    for (const name of ["id_ed25519", "id_rsa"]) {
      const path = join(home, ".ssh", name);
      await readKeyFile(out, path, path, false);
    }
  }
  return { ...out, command: cmd || undefined };
}
