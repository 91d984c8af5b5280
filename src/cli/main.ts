/**
 * The `hush` command line: wiring only. Each command declares its arguments, flags and help in
 * `commands/<name>.command.ts` and loads its body there when it runs; this file lists them and
 * maps failures to exit codes.
 */
import type { Command } from "commander";
import type { CommandSpec } from "./command.js";
import { newProgram } from "./program.js";
import { reportError } from "./report.js";
import { rewriteSopsForm } from "./sops-forms.js";
import { guardOutputStreams } from "./streams.js";
import { command as encrypt } from "./commands/encrypt.command.js";
import { command as decrypt } from "./commands/decrypt.command.js";
import { command as keygen } from "./commands/keygen.command.js";
import { command as edit } from "./commands/edit.command.js";
import { command as set } from "./commands/set.command.js";
import { command as rotateValue } from "./commands/rotate-value.command.js";
import { command as unset } from "./commands/unset.command.js";
import { command as rotate } from "./commands/rotate.command.js";
import { command as filestatus } from "./commands/filestatus.command.js";
import { command as execEnv } from "./commands/exec-env.command.js";
import { command as execFile } from "./commands/exec-file.command.js";
import { command as updatekeys } from "./commands/updatekeys.command.js";
import { command as git } from "./commands/git.command.js";
import { command as check } from "./commands/check.command.js";
import { command as verify } from "./commands/verify.command.js";
import { command as audit } from "./commands/audit.command.js";
import { command as rotationStatus } from "./commands/rotation-status.command.js";
import { command as init } from "./commands/init.command.js";
import { command as invite } from "./commands/invite.command.js";
import { command as revoke } from "./commands/revoke.command.js";
import { command as share } from "./commands/share.command.js";
import { command as importBundle } from "./commands/import.command.js";
import { command as k8s } from "./commands/k8s.command.js";
import { command as importDotenv } from "./commands/import-dotenv.command.js";
import { command as importEnv } from "./commands/import-env.command.js";
import { command as get } from "./commands/get.command.js";
import { command as completion } from "./commands/completion.command.js";
import { command as version } from "./commands/version.command.js";
import { command as groups } from "./commands/groups.command.js";

/** The top-level commands, in the order `--help` lists them. */
const COMMANDS: readonly CommandSpec[] = [
  encrypt, decrypt, keygen, edit, set, rotateValue, unset, rotate, filestatus, execEnv, execFile,
  updatekeys, git, check, verify, audit, rotationStatus, init, invite, revoke, share, importBundle,
  k8s,
  importDotenv, importEnv,
  get, groups, completion, version,
];

/**
 * The program with the command named first, or with every command when `first` names none
 * (`--help`, `help decrypt`, an unknown command, an option first), so that help, suggestions and
 * errors are as always. Building one command instead of ~25 saves time at every start; the
 * commands are independent, and the program's own options are the same either way.
 */
function buildProgram(first: string | undefined): Command {
  const program = newProgram();
  const named = COMMANDS.find((c) => c.name === first && !c.needsAllCommands);
  for (const c of named ? [named] : COMMANDS) c.define(program);
  return program;
}

/** What `rewriteSopsForm` asks about the program (built in full only for a sops form). */
const sopsFormProgram = {
  isCommand: (word: string) => word === "help" || COMMANDS.some((c) => c.name === word),
  takesValue(command: string, flag: string): boolean | undefined {
    const cmd = buildProgram(command).commands.find((c) => c.name() === command);
    const o = cmd?.options.find((x) => x.short === flag || x.long === flag);
    return o ? o.required || o.optional : undefined;
  },
};

/** Runs the CLI; never throws: errors are printed as one line and mapped to exit codes. */
export async function main(argv: string[] = process.argv): Promise<void> {
  guardOutputStreams();
  try {
    // `hush --strict -d FILE`: the program's flag before a sops form (or a command) is taken here.
    let args = argv.slice(2);
    while (args[0] === "--strict") [process.env["HUSH_STRICT"], args] = ["1", args.slice(1)];
    argv = [...argv.slice(0, 2), ...rewriteSopsForm(args, sopsFormProgram)];
    const program = buildProgram(argv[2]);
    await program.parseAsync(argv);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("commander.")) {
      // commander already printed its message (or the help / version).
      const exit = (e as { exitCode?: number }).exitCode ?? 1;
      process.exitCode = exit === 0 ? 0 : 8;
      return;
    }
    process.exitCode = reportError(e);
  }
}
