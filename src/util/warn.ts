/**
 * Warnings: one line each on stderr (`hush: warning: …`), each text once per process, never a
 * secret. Library code warns where sops logs a warning (a key file others can read, an encrypted
 * comment that does not decrypt); `HUSH_NO_WARNINGS=1` silences them (for tools that parse stderr).
 */
const said = new Set<string>();

export function warn(message: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env["HUSH_NO_WARNINGS"] === "1" || said.has(message)) return;
  said.add(message);
  process.stderr.write(`hush: warning: ${message.replace(/[\r\n\u2028\u2029\u0085]/g, " ")}\n`);
}
