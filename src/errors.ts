/**
 * Every failure hush reports is a {@link HushError}: a stable code, a one-line message that never
 * contains a secret value, an optional hint, and the process exit code (sops's numbers where sops
 * has one, see `cmd/sops/codes/codes.go`).
 */

/** Stable error codes. The exit code for each is in {@link EXIT_CODE}. */
export type ErrorCode =
  | "GENERIC"
  | "USAGE"
  | "CANNOT_READ_INPUT"
  | "CANNOT_WRITE_OUTPUT"
  | "CANNOT_DUMP_TREE"
  | "CONFIG"
  | "CONFLICTING_PARAMETERS"
  | "INVALID_KMS_CONTEXT"
  | "ENCRYPT_MAC"
  | "ENCRYPT_TREE"
  | "DECRYPT_TREE"
  | "MAC_MISMATCH"
  | "INVALID_TREE_PATH"
  /** `set`/`unset`/`--set`: the path or the JSON value cannot be read (sops's ErrorInvalidSetFormat). */
  | "INVALID_SET_FORMAT"
  /** `--decryption-order` / SOPS_DECRYPTION_ORDER names a kind twice (sops's DuplicateDecryptionKeyType). */
  | "DUPLICATE_DECRYPTION_KEY_TYPE"
  /** `rotate --add-*`/`--rm-*` on a file that does not exist (sops's CannotChangeKeysFromNonExistentFile). */
  | "KEYS_OF_MISSING_FILE"
  | "NEED_ONE_DOCUMENT"
  | "NO_FILE"
  | "NO_ENCRYPTION_KEY"
  | "METADATA_NOT_FOUND"
  | "INVALID_METADATA"
  | "PARSE"
  | "COULD_NOT_RETRIEVE_KEY"
  | "ALREADY_ENCRYPTED"
  | "KEY_SOURCE"
  | "PATH_NOT_FOUND"
  | "COMMAND_NOT_EXECUTABLE"
  | "COMMAND_NOT_FOUND"
  | "FILE_NOT_MODIFIED"
  | "NO_EDITOR"
  | "LOCKED"
  | "INTERNAL"
  /** `rotation-status`/`verify`: nothing expired, but something expires within its warning period. */
  | "ROTATION_DUE_SOON";

/** Exit codes, from sops's `codes.go` where sops has the same failure. */
export const EXIT_CODE: Readonly<Record<ErrorCode, number>> = {
  GENERIC: 1,
  PATH_NOT_FOUND: 1,
  CANNOT_READ_INPUT: 2,
  PARSE: 2,
  CANNOT_WRITE_OUTPUT: 3,
  CANNOT_DUMP_TREE: 4,
  CONFIG: 5,
  USAGE: 8,
  CONFLICTING_PARAMETERS: 8,
  INVALID_KMS_CONTEXT: 6,
  ENCRYPT_MAC: 21,
  ENCRYPT_TREE: 23,
  DECRYPT_TREE: 25,
  MAC_MISMATCH: 51,
  INVALID_TREE_PATH: 91,
  INVALID_SET_FORMAT: 7,
  DUPLICATE_DECRYPTION_KEY_TYPE: 112,
  KEYS_OF_MISSING_FILE: 49,
  NEED_ONE_DOCUMENT: 92,
  NO_FILE: 100,
  NO_ENCRYPTION_KEY: 111,
  METADATA_NOT_FOUND: 1,
  INVALID_METADATA: 1,
  KEY_SOURCE: 128,
  COULD_NOT_RETRIEVE_KEY: 128,
  ALREADY_ENCRYPTED: 203,
  ROTATION_DUE_SOON: 10,
  // exec-env/exec-file: a command that cannot start exits as a shell's would (POSIX 2.8.2).
  COMMAND_NOT_EXECUTABLE: 126,
  COMMAND_NOT_FOUND: 127,
  // Another hush command holds the file's lock (util/lock.ts); sops has no lock. EX_TEMPFAIL: retry.
  LOCKED: 75,
  INTERNAL: 1,
  // edit: saved without a change (sops's FileHasNotBeenModified), the editor could not run (NoEditorFound).
  FILE_NOT_MODIFIED: 200,
  NO_EDITOR: 201,
};

/** A failure with a stable code and a message fit to print as one line. */
export class HushError extends Error {
  override readonly name = "HushError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    // One line, always: a message may quote a (non-secret) name or id that holds a line break.
    super(oneLine(message), options);
  }

  /** The process exit code for this error. */
  get exitCode(): number {
    return EXIT_CODE[this.code];
  }
}

/** True when `e` is a {@link HushError} with one of the given codes (any code when none given). */
export function isHushError(e: unknown, ...codes: ErrorCode[]): e is HushError {
  return e instanceof HushError && (codes.length === 0 || codes.includes(e.code));
}

/** Escapes line breaks so a message stays on one line of a terminal or a log. */
function oneLine(s: string): string {
  return s.replace(/\r/g, "\\r").replace(/\n/g, "\\n").replace(/[\u2028\u2029\u0085]/g, " ");
}
