/** `hush k8s …`: the bodies of the commands declared in `k8s.command.ts` (work in src/k8s/). */
import { readFile } from "node:fs/promises";
import { HushError } from "../../errors.js";
import { installPlugin, parsePairs, runKrmFunction, runLegacyPlugin, secretManifest } from "../../k8s/index.js";
import { writeStdout } from "../stdout.js";

/** `hush k8s secret`'s flags as commander parses them. */
export interface SecretFlags {
  name: string;
  namespace?: string;
  type?: string;
  extract?: string;
  key?: string;
  label?: string[];
  annotation?: string[];
  stringData?: boolean;
  inputType?: "yaml" | "json" | "dotenv" | "ini" | "binary";
}

/** `hush k8s secret FILES…`: one Secret manifest on standard output. */
export async function runK8sSecret(files: string[], f: SecretFlags): Promise<void> {
  if (f.key !== undefined && files.length > 1) throw new HushError("USAGE", "--key names one value: give one file");
  const text = await secretManifest(files, {
    name: f.name,
    ...(f.namespace !== undefined ? { namespace: f.namespace } : {}),
    ...(f.type !== undefined ? { type: f.type } : {}),
    ...(f.extract !== undefined ? { extract: f.extract } : {}),
    ...(f.key !== undefined ? { key: f.key } : {}),
    ...(f.label ? { labels: parsePairs("label", f.label) } : {}),
    ...(f.annotation ? { annotations: parsePairs("annotation", f.annotation) } : {}),
    ...(f.stringData ? { stringData: true } : {}),
    ...(f.inputType ? { format: f.inputType } : {}),
  });
  await writeStdout(text);
}

/** `hush k8s kustomize-plugin [CONFIG]`: a legacy exec plugin with CONFIG, else a KRM function. */
export async function runKustomizePlugin(config: string | undefined): Promise<void> {
  let out: string;
  if (config !== undefined) {
    let text: string;
    try {
      text = await readFile(config, "utf8");
    } catch {
      throw new HushError("NO_FILE", `cannot read the generator config ${config}`);
    }
    out = await runLegacyPlugin(text, process.cwd());
  } else {
    if (process.stdin.isTTY) throw new HushError("USAGE", "no generator config: pass its file, or a ResourceList on standard input");
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    out = await runKrmFunction(Buffer.concat(chunks).toString("utf8"), process.cwd());
  }
  await writeStdout(out);
}

/** `hush k8s install-kustomize-plugin`. */
export async function runInstallKustomizePlugin(f: { ksops?: boolean; command?: string; force?: boolean }): Promise<void> {
  const paths = await installPlugin({ ...(f.ksops ? { ksops: true } : {}), ...(f.command ? { command: f.command } : {}), ...(f.force ? { force: true } : {}) });
  await writeStdout(paths.map((p) => `installed ${p}\n`).join(""));
}
