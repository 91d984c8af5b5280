/**
 * Which leaves are encrypted (sops.go `shouldBeEncrypted`, SOPS-FORMAT §5): the suffix, regex and
 * comment-regex rules, evaluated against single path components or the comment stack.
 */
import { compileGoRegex } from "../model/go-regex.js";
import type { SelectionRules } from "../model/metadata.js";

/** A compiled rule set: `encrypts(path, commentStack, isComment)`. */
export interface Selector {
  encrypts(path: readonly string[], commentStack: readonly string[], isComment: boolean): boolean;
}

/** Builds the selector for a file's (or a config rule's) selection options. */
export function selector(rules: SelectionRules): Selector {
  const us = rules.unencrypted_suffix;
  const es = rules.encrypted_suffix;
  const ur = rules.unencrypted_regex ? compileGoRegex(rules.unencrypted_regex, "unencrypted_regex") : undefined;
  const er = rules.encrypted_regex ? compileGoRegex(rules.encrypted_regex, "encrypted_regex") : undefined;
  const ucr = rules.unencrypted_comment_regex
    ? compileGoRegex(rules.unencrypted_comment_regex, "unencrypted_comment_regex")
    : undefined;
  const ecr = rules.encrypted_comment_regex ? compileGoRegex(rules.encrypted_comment_regex, "encrypted_comment_regex") : undefined;
  return {
    encrypts(path, stack, isComment) {
      let enc = true;
      if (us) {
        if (path.some((k) => k.endsWith(us))) enc = false;
      }
      if (es) enc = path.some((k) => k.endsWith(es));
      if (ur) {
        if (path.some((k) => ur.test(k))) enc = false;
      }
      if (er) enc = path.some((k) => er.test(k));
      if (ucr) {
        if (stack.some((c) => ucr.test(c))) enc = false;
      }
      if (ecr) {
        // The comment being decided is itself on the stack; sops skips it (SOPS-FORMAT §5.2).
        const considered = isComment ? stack.slice(0, -1) : stack;
        enc = considered.some((c) => ecr.test(c));
      }
      return enc;
    },
  };
}
