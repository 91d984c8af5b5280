/** `hush init`: a key for me, a `.sops.yaml`, git drivers (see src/team/init.ts). */
import { relative } from "node:path";
import { initRepo } from "../../team/init.js";
import { writeStdout } from "../stdout.js";

interface InitFlags {
  recovery?: string[];
  name?: string;
  git?: boolean;
  command?: string;
  kubernetes?: boolean;
  path?: string;
}

/** Runs `hush init` with commander's parsed options. */
export async function runInit(flags: InitFlags): Promise<void> {
  const r = await initRepo({
    ...(flags.recovery ? { recovery: flags.recovery } : {}),
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.git === false ? { git: false } : {}),
    ...(flags.command ? { command: flags.command } : {}),
    ...(flags.kubernetes ? { kubernetes: flags.path ?? "k8s/secrets" } : {}),
  });
  if (flags.path !== undefined && !flags.kubernetes) process.stderr.write("hush: warning: --path is for --kubernetes; ignored\n");
  for (const w of r.warnings) process.stderr.write(`hush: warning: ${w}\n`);
  const config = relative(process.cwd(), r.configPath) || r.configPath;
  const lines: string[] = [];
  lines.push(r.createdKeyFile ? `created an age key in ${r.createdKeyFile} (mode 0600)` : "using your existing age key");
  lines.push(`your public key (recipient): ${r.recipient}`);
  lines.push(r.wroteConfig ? `wrote ${config}` : r.addedKubernetesRule ? `added the Kubernetes rule to ${config}` : `kept the existing ${config}`);
  if (r.addedKubernetesRule) lines.push(`Kubernetes: *.yaml under ${flags.path ?? "k8s/secrets"} encrypt only data and stringData; \`hush encrypt -i FILE\` a Secret manifest there (docs/kubernetes.md)`);
  if (r.wroteGitignore) lines.push("added decrypted-copy patterns (*.dec.*, .env, .env.*) to .gitignore");
  if ("skipped" in r.git) lines.push(`git drivers not installed: ${r.git.skipped}`);
  else lines.push(...(r.git.actions.length > 0 ? r.git.actions : ["git drivers already installed"]));
  lines.push(
    "",
    "Next steps:",
    `  1. Back up your private key (${r.createdKeyFile ?? "your age keys file"}) in a password manager: without it, or a recovery key, these secrets are lost.`,
    "  2. Add secrets: write NAME.enc.yaml, then `hush encrypt -i NAME.enc.yaml` (or `hush edit NAME.enc.yaml`).",
    `  3. Commit ${config}${"skipped" in r.git ? "" : " and .gitattributes"} with the encrypted files.`,
    "  4. Teammates run `hush keygen` and send you the age1… it prints; you run `hush invite age1… --name THEM`.",
    "See docs/team.md for the whole workflow.",
  );
  await writeStdout(lines.map((l) => `${l}\n`).join(""));
}
