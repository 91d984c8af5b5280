/** `hush groups add` and `hush groups delete`: the key groups of one file (`lib/groups.ts`). */
import { HushError } from "../../errors.js";
import { changeKeyGroups, Keyring, keySpecsFromFlags, type KeyFlags } from "../../lib/internal.js";
import { commandConfig, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";
import { parseDecryptionOrder } from "./decrypt.js";
import { keyFlagOptions } from "../../lib/key-services.js";

interface GroupsFlags extends KeyFlags, ConfigFlags {
  file?: string;
  inPlace?: boolean;
  inputType?: string;
  ignoreMac?: boolean;
  decryptionOrder?: string;
  shamirSecretSharingThreshold?: number;
}

function fileOf(positional: string | undefined, flags: GroupsFlags): string {
  if (positional !== undefined && flags.file !== undefined) throw new HushError("CONFLICTING_PARAMETERS", "name the file once: as an argument or with --file");
  const file = positional ?? flags.file;
  if (file === undefined) throw new HushError("NO_FILE", "no file specified (--file FILE)");
  return file;
}

async function change(file: string, flags: GroupsFlags, what: { add?: ReturnType<typeof keySpecsFromFlags>; delete?: number }): Promise<void> {
  await commandConfig(flags, false); // an explicit --config must still be valid
  const io: IoOptions = { ...(flags.inPlace ? { inPlace: true } : {}), ...(flags.inputType ? { inputType: flags.inputType } : {}) };
  const input = await readInputFile(file, io);
  if (input.path === "-") throw new HushError("USAGE", "groups needs a file");
  const order = parseDecryptionOrder(flags.decryptionOrder ?? process.env["SOPS_DECRYPTION_ORDER"]);
  const text = await changeKeyGroups(input.text, {
    format: input.format,
    ...(what.add ? { add: what.add } : {}),
    ...(what.delete !== undefined ? { delete: what.delete } : {}),
    ...(flags.shamirSecretSharingThreshold ? { threshold: flags.shamirSecretSharingThreshold } : {}),
    ...(order ? { keyring: new Keyring({ decryptionOrder: order }) } : {}),
    ...(flags.ignoreMac ? { ignoreMac: true } : {}),
    path: input.path,
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    warn: (m) => process.stderr.write(`hush: warning: ${input.path}: ${m}\n`),
  });
  await writeOutput(input, io, text);
}

export async function runGroupsAdd(positional: string | undefined, flags: GroupsFlags): Promise<void> {
  const file = fileOf(positional, flags);
  // Only the flags name the new group: the SOPS_*_RECIPIENTS variables are for encrypt and edit.
  const add = keySpecsFromFlags(flags, {});
  if (!add) {
    // The recipient flags (each has its variable; the qualifiers such as --aws-profile have none).
    const names = keyFlagOptions().filter((o) => o.env).map((o) => /--[a-z-]+/.exec(o.flags)![0]);
    throw new HushError("USAGE", `name the new group's keys: ${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`);
  }
  await change(file, flags, { add });
}

export async function runGroupsDelete(index: string, flags: GroupsFlags): Promise<void> {
  if (!/^\d+$/.test(index)) throw new HushError("USAGE", `the group index must be a whole number, got ${JSON.stringify(index)}`);
  await change(fileOf(undefined, flags), flags, { delete: Number(index) });
}
