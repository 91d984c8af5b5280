/**
 * Command lines: splitting one without a shell (for `SOPS_AGE_KEY_CMD` and the editor command), and
 * quoting a word for `sh` (for the scripts and git config hush writes).
 */

/**
 * Splits a command line like google/shlex (which sops uses): whitespace separates words, `'…'`
 * is literal, `"…"` and bare words take `\` as an escape for the next character, `#` at the start
 * of a word comments out the rest of the line. No shell is involved.
 */
export function splitCommand(cmd: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  const n = cmd.length;
  while (i < n) {
    const c = cmd[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "#" && !inWord) {
      while (i < n && cmd[i] !== "\n") i++;
    } else if (c === "\\") {
      if (i + 1 >= n) throw new Error("EOF found after escape character");
      word += cmd[i + 1];
      inWord = true;
      i += 2;
    } else if (c === "'") {
      const end = cmd.indexOf("'", i + 1);
      if (end === -1) throw new Error("EOF found when expecting closing quote");
      word += cmd.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Error("EOF found when expecting closing quote");
        const q = cmd[i]!;
        if (q === '"') break;
        if (q === "\\") {
          if (i + 1 >= n) throw new Error("EOF found after escape character");
          word += cmd[i + 1];
          i += 2;
        } else {
          word += q;
          i++;
        }
      }
      inWord = true;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Quotes one word for `sh` (git runs drivers, textconv and hooks through the shell; kustomize runs plugin scripts). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
