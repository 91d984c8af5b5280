/** hush's own version (the `version` field in files is the sops format version, see metadata.ts). */
export const VERSION = "0.1.0";
