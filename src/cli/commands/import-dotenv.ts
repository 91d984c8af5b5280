/**
 * `hush import-dotenv FILE` and `hush import-env NAME…`: migrating plaintext secrets (a Node-style
 * `.env`, or the environment) into an encrypted file (the operations are in lib/migrate.ts).
 */
import { HushError } from "../../errors.js";
import { importDotenv, importEnv, lockFile, migrateRequest, readInput, readNodeDotenv, writeFileAtomic, type DotenvImportChange, type KeyFlags } from "../../lib/internal.js";
import { writeStdout } from "../stdout.js";

interface MigrateFlags extends KeyFlags {
  output?: string;
  inPlace?: boolean;
  outputType?: string;
  filenameOverride?: string;
  indent?: number;
  config?: string;
  dryRun?: boolean;
  prefix?: string;
}

/** Runs `hush import-dotenv FILE`. */
export async function runImportDotenv(file: string, flags: MigrateFlags): Promise<void> {
  if (flags.inPlace && flags.output) throw new HushError("CONFLICTING_PARAMETERS", "--in-place and --output cannot be used together");
  if (file === "-" && flags.inPlace) throw new HushError("CONFLICTING_PARAMETERS", "--in-place needs a file, not standard input");
  if (flags.inPlace && !flags.dryRun) await lockFile(file); // read-change-write, as `hush set` (util/lock.ts)
  const source = (await readInput(file)).toString("utf8");
  const name = file === "-" ? "standard input" : file;
  if (flags.dryRun) {
    const r = readNodeDotenv(source);
    report(name, r.keys.length, r.changes);
    return;
  }
  const r = await importDotenv(source, request(flags, flags.filenameOverride ?? flags.output ?? (file === "-" ? undefined : file)));
  report(name, r.keys.length, r.changes);
  await write(flags.inPlace ? file : flags.output, r.text);
}

/** Runs `hush import-env NAME…`. */
export async function runImportEnv(names: string[], flags: MigrateFlags): Promise<void> {
  const r = await importEnv({ names, prefix: flags.prefix }, process.env, request(flags, flags.filenameOverride ?? flags.output));
  process.stderr.write(`hush: import-env: ${r.keys.length} variable${r.keys.length === 1 ? "" : "s"}: ${r.keys.join(", ")}\n`);
  await write(flags.output, r.text);
}

function request(flags: MigrateFlags, rulesPath: string | undefined) {
  return migrateRequest({ flags, output: flags.output, outputType: flags.outputType, rulesPath, indent: flags.indent, configPath: flags.config });
}

/** The report on standard error: keys and line numbers only, never a value. */
function report(name: string, keys: number, changes: readonly DotenvImportChange[]): void {
  const count = `${keys} key${keys === 1 ? "" : "s"}`;
  if (changes.length === 0) {
    process.stderr.write(`hush: import-dotenv: ${name}: ${count}, read as sops reads them\n`);
    return;
  }
  let out = `hush: import-dotenv: ${name}: ${count}; where sops would read the file differently:\n`;
  for (const c of changes) out += `  line ${c.line}${c.key === undefined ? "" : `, ${c.key}`}: ${c.what}\n`;
  process.stderr.write(out);
}

async function write(path: string | undefined, text: string): Promise<void> {
  if (path === undefined) await writeStdout(text);
  else await writeFileAtomic(path, text);
}
