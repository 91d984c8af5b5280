/** Go regular expressions (RE2, as sops compiles `*_regex` rules) run as JS RegExps. */
import { HushError } from "../errors.js";

/**
 * Compiles a Go RE2 pattern to a JS RegExp. The common RE2 syntax is the same; a leading `(?i)` (or
 * `(?s)`, `(?m)`) flag group becomes a JS flag.
 */
export function compileGoRegex(pattern: string, field: string): RegExp {
  let flags = "";
  let p = pattern;
  const m = /^\(\?([ims]+)\)/.exec(p);
  if (m) {
    flags = [...new Set(m[1]!.split(""))].join("");
    p = p.slice(m[0].length);
  }
  try {
    return new RegExp(p, flags + "u");
  } catch {
    try {
      return new RegExp(p, flags);
    } catch {
      throw new HushError("CONFIG", `${field} is not a valid regular expression`);
    }
  }
}
