/**
 * The key and config options shared by commands that name recipients (`encrypt`, `edit`, and
 * others to come), derived from the key service descriptors (`keys/index.ts`). Each environment
 * variable named here has the same effect as its flag (read in `config/key-specs.ts`), as in sops.
 * Cheap to import: commander `Option`s and the descriptors only.
 */
import { Option, type Command } from "commander";
import { HushError } from "../errors.js";
import { keyFlagOptions, rotateFlagOptions } from "../lib/key-services.js";

/** Every key option (recipient flags of each key service and their qualifiers), in `--help` order. */
function keyOptions(): Option[] {
  return keyFlagOptions().map((o) => new Option(o.flags, o.description));
}

/** rotate's `--add-*` and `--rm-*` options, one pair per key service. */
export function rotateKeyOptions(): Option[] {
  return rotateFlagOptions().flatMap(({ add, rm }) => [new Option(add.flags, add.description), new Option(rm.flags, rm.description)]);
}

/** Adds every key option to a command (they come right after its arguments in `--help`). */
export function withKeyOptions(cmd: Command): Command {
  for (const o of keyOptions()) cmd.addOption(o);
  return cmd;
}

/** `--shamir-secret-sharing-threshold <n>`: a non-negative integer; 0 means "not given". */
export function thresholdOption(): Option {
  return new Option("--shamir-secret-sharing-threshold <n>", "key groups needed to decrypt (default: the rule's, else all groups)").argParser((v) => {
    if (!/^\d+$/.test(v)) throw new HushError("USAGE", `--shamir-secret-sharing-threshold takes a non-negative integer, got ${JSON.stringify(v)}`);
    return Number(v);
  });
}

/** `--config <path>`: the `.sops.yaml` to use instead of searching for one (env SOPS_CONFIG). */
export function configOption(): Option {
  return new Option("--config <path>", "the .sops.yaml to use (env SOPS_CONFIG; default: the nearest one from the working directory up)");
}
