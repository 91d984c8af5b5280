/**
 * The shape of a command file. Each top-level command is declared in
 * `commands/<name>.command.ts` (arguments, flags, help text, action) and listed once in `main.ts`.
 * A declaration is cheap to load: it imports commander and the shared option factories only, and
 * its action imports the command's body (`commands/<name>.ts`) with `await import()`, so
 * `hush --help` and `hush decrypt` load no other command's code.
 */
import type { Command } from "commander";

/** One top-level command of `hush`. */
export interface CommandSpec {
  /** The word that runs it: after `hush` (main builds only that command when it is named first), or after `hush git` for a git subcommand. */
  readonly name: string;
  /**
   * Adds the command to `program`: `program.command(name)`, its arguments, options, help text and
   * an action that loads the body lazily. Called after the program's own settings are made, which
   * the new command inherits (exitOverride, output).
   */
  define(program: Command): void;
  /**
   * The command reads the whole program (shell completion): main defines every command even when
   * this one is named first. Its action finds the program as its command's `parent`.
   */
  readonly needsAllCommands?: boolean;
}
