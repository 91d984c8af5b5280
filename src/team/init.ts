/**
 * `hush init`: start a repository's secrets. An age key for me (the one I already have, else a
 * new one in sops's keys file), a `.sops.yaml` whose rule covers `*.enc.{yaml,yml,json,env,ini}`
 * with my recipient (plus recovery recipients kept offline), and hush's git drivers and hook.
 * Running it again changes nothing that is already there.
 */
import { promises as fsp } from "node:fs";
import { dirname, join } from "node:path";
import { HushError } from "../errors.js";
import {
  ageRecipientsByRule,
  appendNewAgeIdentity,
  CONFIG_FILE_NAME,
  defaultAgeKeyFile,
  initialConfig,
  loadAgeIdentities,
  parseAgeRecipients,
  kubernetesPathRegex,
  lockFile,
  withKubernetesRule,
  writeFileAtomic,
} from "../lib/internal.js";
import { installGit, type InstallReport } from "../git/install.js";
import { runGit } from "../git/run.js";

/**
 * The rule `hush init` writes: every `NAME.enc.EXT` file of a format hush reads, and dotenv's
 * encrypted names `.env.enc`, `.env.<environment>.enc` (formats/index.ts reads them as dotenv).
 */
export const DEFAULT_PATH_REGEX = String.raw`(\.enc\.(yaml|yml|json|env|ini)|\.env\.enc|\.env\.[^/]+\.enc)$`;

/** Options of {@link initRepo}. */
export interface InitOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Recipients of offline backup keys, added to the rule (`--recovery`, comma-separated allowed). */
  recovery?: readonly string[];
  /** A name for my recipient, written as a comment in `.sops.yaml` (default: git's user.email). */
  name?: string;
  /** Install the git drivers and hook (default true when inside a git working tree). */
  git?: boolean;
  /** The command git runs for hush (default: how this hush was started). */
  command?: string;
  /** Add a rule for Kubernetes Secret manifests (`*.yaml`) under this directory (docs/kubernetes.md). */
  kubernetes?: string;
}

/** What {@link initRepo} did, for the command to print. */
export interface InitReport {
  /** My age recipient. */
  recipient: string;
  /** The keys file a new identity was written to; undefined when an existing key was used. */
  createdKeyFile?: string;
  /** The `.sops.yaml` in effect. */
  configPath: string;
  /** True when `.sops.yaml` was written now (false: one was already there and was kept). */
  wroteConfig: boolean;
  /** True when the Kubernetes rule was added (now or to the existing `.sops.yaml`). */
  addedKubernetesRule?: boolean;
  /** True when hush's block of decrypted-copy patterns was added to `.gitignore`. */
  wroteGitignore: boolean;
  /** What `hush git install` did, or why it was skipped. */
  git: InstallReport | { skipped: string };
  warnings: string[];
}

const IGNORE_BEGIN = "# >>> hush: decrypted copies stay out of git (managed by `hush init`) >>>";
const IGNORE_END = "# <<< hush <<<";
/** Plaintext copies people make (`hush decrypt x.enc.yaml > x.dec.yaml`, `.env`), but not encrypted files or templates. */
const IGNORE_PATTERNS: readonly string[] = [
  "*.dec.*",
  "*.decrypted.*",
  ".env",
  ".env.*",
  "!.env.enc",
  "!.env.*.enc",
  "!*.enc.*",
  "!.env.example",
  "!.env.sample",
  "!.env.template",
];

/** `text` with hush's `.gitignore` block (unchanged when it is there already). */
function withIgnoreBlock(text: string): string {
  if (text.includes(IGNORE_BEGIN)) return text;
  const block = `${IGNORE_BEGIN}\n${IGNORE_PATTERNS.join("\n")}\n${IGNORE_END}\n`;
  if (text === "") return block;
  return `${text}${text.endsWith("\n") ? "" : "\n"}\n${block}`;
}

async function gitTop(cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const r = await runGit(["rev-parse", "--show-toplevel"], { cwd, env });
    return r.status === 0 ? r.stdout.toString("utf8").trim() : undefined;
  } catch {
    return undefined;
  }
}

async function gitEmail(cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const r = await runGit(["config", "--get", "user.email"], { cwd, env });
    const v = r.stdout.toString("utf8").trim();
    return r.status === 0 && v !== "" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Sets up a repository for hush (see the module comment). */
export async function initRepo(options: InitOptions = {}): Promise<InitReport> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [];
  const recovery = parseAgeRecipients((options.recovery ?? []).join(","));
  if (options.kubernetes !== undefined) kubernetesPathRegex(options.kubernetes); // a bad --path fails before anything is written

  // 1. My key: the first identity sops would use, else a new one.
  const ids = await loadAgeIdentities(env);
  let recipient: string;
  let createdKeyFile: string | undefined;
  if (ids.count > 0) {
    recipient = (await ids.recipients())[0]!;
  } else {
    createdKeyFile = env["SOPS_AGE_KEY_FILE"] || defaultAgeKeyFile(env);
    recipient = await appendNewAgeIdentity(createdKeyFile);
  }
  if (recovery.includes(recipient)) {
    throw new HushError("USAGE", "the recovery recipient is your own key", "a recovery key is a separate key kept offline: `hush keygen -o recovery-key.txt` on another machine");
  }

  // 2. .sops.yaml at the top of the working tree (or here, outside git).
  const top = await gitTop(cwd, env);
  const root = top ?? cwd;
  const configPath = join(root, CONFIG_FILE_NAME);
  let wroteConfig = false;
  let addedKubernetes = false;
  let existing: string | undefined;
  // Read-change-write of .sops.yaml and .gitignore under their locks (util/lock.ts), held to exit.
  await lockFile(configPath, env);
  try {
    existing = await fsp.readFile(configPath, "utf8");
  } catch {
    // none yet
  }
  if (existing === undefined) {
    const name = options.name ?? (await gitEmail(root, env));
    let text = initialConfig(
      [{ recipient, ...(name ? { name } : {}) }, ...recovery.map((r) => ({ recipient: r, name: "recovery key (kept offline)" }))],
      DEFAULT_PATH_REGEX,
    );
    if (options.kubernetes !== undefined) text = withKubernetesRule(text, options.kubernetes).text;
    try {
      await fsp.writeFile(configPath, text, { flag: "wx", mode: 0o644 });
    } catch (e) {
      throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${configPath}: ${(e as NodeJS.ErrnoException).code ?? "write failed"}`);
    }
    wroteConfig = true;
    addedKubernetes = options.kubernetes !== undefined;
  } else if (options.kubernetes !== undefined) {
    const { text, added } = withKubernetesRule(existing, options.kubernetes);
    if (added) {
      await writeFileAtomic(configPath, text, 0o644);
      addedKubernetes = true;
    }
  }
  if (existing !== undefined) {
    let named: string[] = [];
    try {
      named = ageRecipientsByRule(existing).flat(2);
    } catch {
      warnings.push(`${CONFIG_FILE_NAME} exists but does not parse; left as it is`);
    }
    if (!named.includes(recipient)) {
      warnings.push(`${CONFIG_FILE_NAME} already exists and does not name your key: ask a member to run \`hush invite ${recipient} --rule N\``);
    }
    for (const r of recovery) {
      if (!named.includes(r)) warnings.push(`${CONFIG_FILE_NAME} already exists: --recovery ignored (add it with \`hush invite ${r} --name recovery --all\`)`);
    }
  }

  // 3. .gitignore entries for decrypted copies (what `hush check` refuses, ignored up front).
  let wroteGitignore = false;
  if (top !== undefined) {
    const path = join(root, ".gitignore");
    await lockFile(path, env);
    let before = "";
    try {
      before = await fsp.readFile(path, "utf8");
    } catch {
      // none yet
    }
    const after = withIgnoreBlock(before);
    if (after !== before) {
      await writeFileAtomic(path, after, 0o644);
      wroteGitignore = true;
    }
  }

  // 4. git drivers and the pre-commit hook.
  let git: InitReport["git"];
  if (options.git === false) git = { skipped: "--no-git" };
  else if (top === undefined) git = { skipped: "not a git working tree (run `hush git install` after `git init`)" };
  else {
    git = await installGit({ cwd: root, env, ...(options.command ? { command: options.command } : {}) });
    warnings.push(...git.warnings);
  }
  return {
    recipient,
    ...(createdKeyFile ? { createdKeyFile } : {}),
    configPath,
    wroteConfig,
    ...(addedKubernetes ? { addedKubernetesRule: true } : {}),
    wroteGitignore,
    git,
    warnings,
  };
}
