/**
 * Installing the generator where kustomize looks for legacy exec plugins:
 * `$KUSTOMIZE_PLUGIN_HOME` (else `$XDG_CONFIG_HOME/kustomize/plugin`, else
 * `~/.config/kustomize/plugin`) `/<group>/<version>/<lower-case kind>/<Kind>`. The executable is a
 * two-line shell script that execs this hush (`hush k8s kustomize-plugin "$@"`), so upgrading hush
 * upgrades the plugin; with `--ksops` the same script also answers ksops's shape at ksops's path.
 */
import { promises as fsp } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { HushError } from "../errors.js";
import { selfCommand } from "../lib/internal.js";

/** A line in every script we write: how we recognise our own file (and may replace it). */
const PLUGIN_MARKER = "# hush kustomize plugin";

/** The plugins, as kustomize names them (`apiVersion` group/version, kind). */
const PLUGINS = {
  hush: ["hush", "v1", "SecretGenerator"],
  ksops: ["viaduct.ai", "v1", "ksops"],
} as const;

/** kustomize's plugin home for this environment. */
function pluginHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env["KUSTOMIZE_PLUGIN_HOME"]) return env["KUSTOMIZE_PLUGIN_HOME"];
  const xdg = env["XDG_CONFIG_HOME"] || join(env["HOME"] || homedir(), ".config");
  return join(xdg, "kustomize", "plugin");
}

/** Where kustomize runs a legacy exec plugin of this group, version and kind. */
function pluginPath(home: string, [group, version, kind]: readonly [string, string, string]): string {
  return join(home, group, version, kind.toLowerCase(), kind);
}

/**
 * The command the script runs: `hush` when that name on PATH is this very hush (a global
 * install), else this node and this hush's script by absolute path, so kustomize (and Argo CD,
 * which may have another PATH) runs the version that installed the plugin.
 */
function defaultPluginCommand(env: NodeJS.ProcessEnv = process.env): string {
  return selfCommand(env, { nodeFromPath: false });
}

/** The script's text. */
function pluginScript(command: string): string {
  return `#!/bin/sh
${PLUGIN_MARKER}: installed by \`hush k8s install-kustomize-plugin\`.
# kustomize runs it with the generator config's path (legacy exec plugin), or with no argument and
# a ResourceList on standard input (KRM exec function). Secrets go to standard output only.
exec ${command} k8s kustomize-plugin "$@"
`;
}

/** Options of {@link installPlugin}. */
interface InstallPluginOptions {
  env?: NodeJS.ProcessEnv;
  /** The shell command for hush (default {@link defaultPluginCommand}). */
  command?: string;
  /** Also install at ksops's path (`viaduct.ai/v1/ksops/ksops`). */
  ksops?: boolean;
  /** Replace a file there that hush did not write (a real ksops binary). */
  force?: boolean;
}

/** Writes the plugin script(s); returns the paths written. */
export async function installPlugin(options: InstallPluginOptions = {}): Promise<string[]> {
  const env = options.env ?? process.env;
  const command = options.command ?? defaultPluginCommand(env);
  if (command.trim() === "" || command.includes("\n")) throw new HushError("USAGE", "--command must be one line");
  const home = pluginHome(env);
  const targets = [pluginPath(home, PLUGINS.hush), ...(options.ksops ? [pluginPath(home, PLUGINS.ksops)] : [])];
  const text = pluginScript(command);
  for (const target of targets) {
    let existing: Buffer | undefined;
    try {
      existing = await fsp.readFile(target);
    } catch {
      // none yet
    }
    if (existing !== undefined && !existing.includes(PLUGIN_MARKER) && !options.force) {
      throw new HushError("CANNOT_WRITE_OUTPUT", `${target} exists and was not written by hush`, "pass --force to replace it (e.g. a ksops binary you are switching from)");
    }
  }
  for (const target of targets) {
    try {
      await fsp.mkdir(dirname(target), { recursive: true });
      const tmp = `${target}.tmp-${process.pid}`;
      await fsp.writeFile(tmp, text, { mode: 0o755 });
      await fsp.chmod(tmp, 0o755);
      await fsp.rename(tmp, target);
    } catch (e) {
      throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? "write failed"}`);
    }
  }
  return targets;
}
