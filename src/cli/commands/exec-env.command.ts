/** `hush exec-env`: its operands, flags and help (the body is `exec-env.ts`). */
import type { Command } from "commander";
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { decryptionOrderOption, ignoreMacOption, repeatable, typeOption } from "../options.js";
import { withKeyserviceOptions, withSopsExecOptions } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "exec-env",
  define(program) {
    withSopsExecOptions(withKeyserviceOptions(program.command("exec-env")), true)
      .usage("[options] [file] -- <command> [args...]")
      .description("run a command with the decrypted values in its environment (nothing written to disk)")
      .argument("[args...]", "the file, then -- and the command with its arguments")
      .option("-f, --file <path>", "a secrets file (repeatable; later files override earlier ones)", repeatable)
      .option("--pristine", "start from an empty environment instead of hush's own")
      .option("--overload", "the files' values replace variables already set, the last file winning (the default, as sops)")
      .option("--no-overload", "dotenv's rule: variables already set win, then the first file that defines one")
      .option("--keep-key-env", "keep key material variables (SOPS_AGE_KEY, VAULT_TOKEN, AWS_SECRET_ACCESS_KEY…) in the command's environment")
      .option("--only <names>", "pass only these variables (comma-separated, repeatable)", repeatable)
      .option("--no-flatten", "sops's behaviour: top-level values only, nested values are an error")
      .option("--separator <sep>", "joins the parts of a nested value's name (default _)")
      .option("--allow-env-name <name>", "allow a variable refused by default (PATH, LD_*, NODE_OPTIONS…; repeatable)", repeatable)
      .option("--env-lists", "name list items by index (hosts[1] -> HOSTS_1); refused by default")
      .addOption(typeOption("input-type", "format of the files (default: from each file name)"))
      .addOption(ignoreMacOption("do not verify the MAC"))
      .addOption(decryptionOrderOption())
      .addOption(configOption())
      .addHelpText(
        "after",
        `
Variable names follow one rule (also for hush/config and the library's toEnv()): a top-level
key is the name exactly as written, as in sops (http_proxy stays http_proxy); a nested value is
named by its path, each part upper-cased with any character but A-Z, 0-9 and _ made _, joined
by the separator: db.password -> DB_PASSWORD, api-keys.stripe -> API_KEYS_STRIPE. Two values
that would get the same name are an error. Non-strings are written as sops writes them
(3 -> 3.0 for floats, true/false). The values override variables of the same name, and a
later file overrides an earlier one, as with sops exec-env; with --no-overload, dotenv's rule instead: a variable already set
keeps its value, and the first file that defines one wins.
Only what the MAC covers is exported: nulls are skipped; list items (not authenticated: a
value wrapped in a list would rename its variable) are refused unless --env-lists names them
by index (hosts[1] -> HOSTS_1); names that change how programs run (PATH, LD_*, NODE_OPTIONS,
BASH_ENV, GITHUB_*, ...) are refused unless --allow-env-name NAME. See docs/security.md.
Key material hush may have used (SOPS_AGE_KEY, SOPS_AGE_KEY_CMD, VAULT_TOKEN, AWS, Google and
Azure secrets; list in the README) is removed from the command's environment unless
--keep-key-env. Every signal hush can catch (INT, TERM, HUP, QUIT, USR1, USR2, WINCH, CONT…)
is passed to the command, and hush exits with its exit code (128 + the signal number when a
signal killed it). Without --, the command is one string run with /bin/sh -c, as in sops.

Examples:
  hush exec-env secrets.enc.yaml -- node server.js
  hush exec-env -f base.enc.yaml -f prod.enc.yaml --only DB_PASSWORD -- ./migrate
  hush exec-env secrets.enc.yaml 'echo "$DB_PASSWORD" | wc -c'`,
      )
      .action(async (args: string[], opts: Record<string, unknown>, cmd: Command) => {
        const { runExecEnv } = await import("./exec-env.js");
        await runExecEnv(args, opts, cmd);
      });
  },
};
