/**
 * sops flags that scripts pass and hush has no use for, or deliberately does not do: declared as
 * hidden options (they are not in `--help`; docs/sops-compat.md lists them) so a sops script runs
 * unchanged, or stops with one clear line and exit 8 instead of "unknown option". Cheap to import:
 * commander and errors only (the checks load what they need when they run).
 */
import { Option, type Command } from "commander";
import { HushError } from "../errors.js";

const FORMAT_NAMES = ["yaml", "json", "dotenv", "ini", "binary"];

function refuse(message: string, hint?: string): never {
  throw new HushError("USAGE", message, hint);
}

/**
 * sops's key-service flags (every command that decrypts or encrypts has them). hush has no client
 * for sops's gRPC key service and always uses the keys on this machine, which is what sops does
 * by default: `--enable-local-keyservice` changes nothing; `--keyservice URI` is refused, since the
 * key it reaches is not here. SOPS_KEYSERVICE set in the environment gets a warning only (it is
 * "in addition to the local keys" in sops, and a profile may set it for every command).
 */
export function withKeyserviceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--enable-local-keyservice", "sops: use the local keys (always so in hush)").hideHelp())
    .addOption(
      new Option("--keyservice <uri>", "sops: a remote key service (not supported)").hideHelp().argParser((uri: string) =>
        refuse(
          `--keyservice ${JSON.stringify(uri)}: hush does not speak sops's key-service protocol; it uses only the keys on this machine`,
          "run hush where the key is (SSH agent forwarding for PGP, cloud credentials for KMS), or keep sops for this step",
        ),
      ),
    )
    .hook("preAction", () => {
      // As util/warn.ts words warnings (the CLI reaches util only through lib): HUSH_NO_WARNINGS=1 silences it.
      if (process.env["SOPS_KEYSERVICE"] && process.env["HUSH_NO_WARNINGS"] !== "1") {
        process.stderr.write("hush: warning: SOPS_KEYSERVICE is set, but hush does not use sops key services: only the keys on this machine are tried\n");
      }
    });
}

/**
 * `--output-type` on commands that rewrite a file in place or print it re-encrypted (sops's
 * `set`, `unset`, `edit`, `rotate`): accepted when it names the file's own format (a no-op), refused
 * otherwise: hush does not convert an encrypted file's format as a side effect of changing it.
 * `files` gives the paths the command works on, from its operands.
 */
export function withSameOutputTypeOption(cmd: Command, files: (operands: readonly unknown[]) => string[]): Command {
  return cmd.addOption(new Option("--output-type <type>", "sops: format to write (only the file's own)").choices(FORMAT_NAMES).hideHelp()).hook(
    "preAction",
    async (_program, action) => {
      const opts = action.opts<{ outputType?: string; inputType?: string; filenameOverride?: string }>();
      if (opts.outputType === undefined) return;
      const { formatNameForPath } = await import("../lib/internal.js");
      for (const file of files(action.processedArgs)) {
        const format = opts.inputType ?? formatNameForPath(opts.filenameOverride ?? file);
        if (format !== opts.outputType) {
          refuse(
            `--output-type ${opts.outputType}: ${file} is ${format}, and hush ${action.name()} keeps a file's format`,
            `to convert, decrypt with --output-type ${opts.outputType} and encrypt the result`,
          );
        }
      }
    },
  );
}

/**
 * `rotate --add-*`/`--rm-*` naming a file that does not exist: exit 49 as sops
 * (CannotChangeKeysFromNonExistentFile), instead of the 100 of a plain missing file.
 */
export function withKeyChangeOnMissingFileCheck(cmd: Command): Command {
  return cmd.hook("preAction", async (_program, action) => {
    const opts = action.opts<Record<string, unknown>>();
    if (!Object.keys(opts).some((k) => /^(add|rm)[A-Z]/.test(k) && opts[k] !== undefined)) return;
    const { existsSync } = await import("node:fs");
    for (const file of action.processedArgs[0] as string[]) {
      if (!existsSync(file)) {
        throw new HushError("KEYS_OF_MISSING_FILE", `cannot add or remove keys on non-existent file ${JSON.stringify(file)}`, "use hush edit (or encrypt) to create it");
      }
    }
  });
}

/**
 * `--shamir-secret-sharing-threshold` on `set` and `unset`: sops declares it there and never reads
 * it (the file's threshold stays), so it is accepted and changes nothing, as in sops.
 */
export function withIgnoredThresholdOption(cmd: Command): Command {
  return cmd.addOption(new Option("--shamir-secret-sharing-threshold <n>", "sops: accepted, no effect (as in sops)").hideHelp());
}

/**
 * sops's exec-env / exec-file process flags. `--same-process` (exec-env: sops replaces itself with
 * the shell) is accepted: hush runs the command as its child with the same environment, standard
 * streams, signals and exit status, so a script sees the same. `--background` (deprecated in sops)
 * and `--user` are refused: hush does not leave a decrypted secret with a process it does not
 * wait for, and does not switch users.
 */
export function withSopsExecOptions(cmd: Command, sameProcess: boolean): Command {
  if (sameProcess) cmd.addOption(new Option("--same-process", "sops: run in place of hush (same effect)").hideHelp());
  return cmd
    .addOption(new Option("--background", "sops: deprecated, not supported").hideHelp())
    .addOption(new Option("--user <name>", "sops: not supported").hideHelp())
    .hook("preAction", (_program, action) => {
      const opts = action.opts<{ background?: boolean; user?: string }>();
      if (opts.background) refuse(`--background is not supported (deprecated in sops)`, `run "hush ${cmd.name()} … &" in the shell instead`);
      if (opts.user !== undefined) {
        refuse(`--user ${JSON.stringify(opts.user)} is not supported: hush does not switch users`, `run hush as that user: sudo -u ${opts.user} hush ${cmd.name()} …`);
      }
    });
}
