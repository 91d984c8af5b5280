/**
 * age recipients (sops `age/keysource.go`, SOPS-FORMAT.md §8.3): checking `age1…`, `age1pq1…`,
 * plugin (`age1<name>1…`) and SSH recipients, and wrapping the data key to one. X25519 recipients
 * are encrypted to with `node:crypto` (`age-native.ts`); the others through age-encryption,
 * imported only then. Part of the age client (`age-client.ts`), loaded lazily with it.
 */
import { HushError } from "../errors.js";
import type { KeyEntry, KeyRecipient } from "./key-source.js";
import { X25519Recipient } from "./age-native.js";
import { pluginName, wrapWithPlugin } from "./age-plugin.js";
import { bech32Decode } from "./bech32.js";
import { parseSshRecipient, wrapForSsh } from "./age-ssh.js";
import { loadAgeLib, oneLine, shown } from "./age-common.js";

/** Throws a USAGE error unless `r` is an X25519 or hybrid post-quantum age recipient. */
function checkRecipient(r: string): void {
  if (/^AGE-(SECRET-KEY|PLUGIN)-/i.test(r)) {
    // Never echo it: it is a private key given where a public key belongs.
    throw new HushError(
      "USAGE",
      "an age secret key was given as a recipient",
      "give its public key instead (age-keygen -y KEYFILE prints it)",
    );
  }
  if (r.startsWith("ssh-")) {
    parseSshRecipient(r);
    return;
  }
  if (r.startsWith("age1pq1")) {
    const d = bech32Decode(r);
    if (d && d.hrp === "age1pq" && d.bytes.length === 1216) return;
    throw new HushError("USAGE", `not a valid age post-quantum recipient: ${shown(r)}`);
  }
  if (r.startsWith("age1") && r.indexOf("1", 4) !== -1) {
    // age1<name>1…: a plugin recipient (its payload is the plugin's business).
    const d = bech32Decode(r);
    if (d && pluginName(r) !== null) return;
    throw new HushError("USAGE", `not a valid age plugin recipient: ${shown(r)}`);
  }
  if (r.startsWith("age1")) {
    const d = bech32Decode(r);
    if (d && d.hrp === "age" && d.bytes.length === 32) return;
    throw new HushError("USAGE", `not a valid age recipient: ${shown(r)}`);
  }
  throw new HushError("USAGE", `not an age recipient: ${shown(r)}`, "age recipients start with age1");
}

/**
 * Parses a comma-separated recipient list (`--age`, `SOPS_AGE_RECIPIENTS`, `.sops.yaml`): each
 * entry trimmed, empty entries dropped, each one checked. Throws HushError USAGE on the first bad
 * entry.
 */
export function parseAgeRecipients(csv: string): string[] {
  const out: string[] = [];
  for (const part of csv.split(",")) {
    const r = part.trim();
    if (r === "") continue;
    checkRecipient(r);
    out.push(r);
  }
  return out;
}

/** Normalises typage's armor to exactly what sops stores: the age armor with one final `\n`. */
function normaliseArmor(armored: string): string {
  return armored.replace(/\r\n/g, "\n").replace(/\n*$/, "\n");
}

/** A recipient that wraps the data key as sops does: one armored age file per recipient. */
export function ageRecipient(recipient: string, env: NodeJS.ProcessEnv = process.env): KeyRecipient {
  const r = recipient.trim();
  checkRecipient(r);
  // X25519 (not post-quantum) recipients are encrypted to natively, the key object made once.
  let native: X25519Recipient | undefined;
  return {
    kind: "age",
    id: r,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      if (!r.startsWith("age1pq1")) {
        const d = bech32Decode(r);
        if (d && d.hrp === "age" && d.bytes.length === 32) {
          native ??= new X25519Recipient(d.bytes);
          try {
            return { enc: native.encryptArmored(dataKey), recipient: r };
          } catch (err) {
            throw new HushError("KEY_SOURCE", `age: cannot encrypt the data key to ${shown(r)}: ${oneLine(err)}`);
          }
        }
      }
      const { Encrypter, armor, Stanza } = await loadAgeLib();
      let enc: string;
      try {
        const e = new Encrypter();
        if (r.startsWith("age1") && pluginName(r) !== null && !r.startsWith("age1pq1")) {
          e.addRecipient({
            wrapFileKey: async (fileKey) =>
              (await wrapWithPlugin(r, fileKey, env)).map((s) => new Stanza([s.type, ...s.args], s.body)),
          });
        } else if (r.startsWith("ssh-")) {
          const key = parseSshRecipient(r);
          e.addRecipient({
            wrapFileKey: (fileKey) => {
              const s = wrapForSsh(key, fileKey);
              return [new Stanza([s.type, ...s.args], s.body)];
            },
          });
        } else {
          e.addRecipient(r);
        }
        enc = normaliseArmor(armor.encode(await e.encrypt(dataKey)));
      } catch (err) {
        throw new HushError("KEY_SOURCE", `age: cannot encrypt the data key to ${shown(r)}: ${oneLine(err)}`);
      }
      return { enc, recipient: r };
    },
  };
}
