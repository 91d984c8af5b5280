/**
 * Fixed inputs for tests that compare two encrypt paths byte for byte (the lean paths against
 * encryptDocument): one data key, one clock, and IVs counted 0, 1, 2, … so both paths draw the
 * same IV for the same value.
 */
import type { EncryptOptions } from "../../src/core/document.js";
import type { SelectionRules } from "../../src/model/metadata.js";
import type { FormatName } from "../../src/formats/index.js";
import { IV_SOURCE, type EncryptTextOptions } from "../../src/lib/files.js";
import { FAKE_RECIPIENT } from "./arbitraries.js";

export const FIXED_DATA_KEY = Buffer.alloc(32, 7);
const FIXED_NOW = new Date("2026-01-02T03:04:05Z");

/** A fresh fixed IV source: 0, 1, 2, … in the first bytes. */
function countingIvs(): () => Uint8Array {
  let n = 0;
  return () => {
    const iv = Buffer.alloc(32);
    iv.writeUInt32BE(n++);
    return iv;
  };
}

/** encryptDocument's options for a comparison: the fixed key, clock and a fresh counting IV source. */
export function fixedEncryptOptions(rules: SelectionRules | undefined, macOnlyEncrypted: boolean): EncryptOptions {
  return { groups: [[FAKE_RECIPIENT]], dataKey: FIXED_DATA_KEY, ivSource: countingIvs(), now: FIXED_NOW, ...(rules ? { rules } : {}), ...(macOnlyEncrypted ? { macOnlyEncrypted } : {}) };
}

/** encryptText's options for a comparison: the same fixed key, clock and counting IVs (through the IV hook). */
export function fixedEncryptTextOptions(format: FormatName, rules: SelectionRules | undefined, macOnlyEncrypted: boolean, indent?: number): EncryptTextOptions {
  return {
    format,
    ...(indent === undefined ? {} : { indent }),
    groups: [[FAKE_RECIPIENT]],
    dataKey: FIXED_DATA_KEY,
    [IV_SOURCE]: countingIvs(),
    now: FIXED_NOW,
    ...(rules ? { rules } : {}),
    ...(macOnlyEncrypted ? { macOnlyEncrypted } : {}),
  };
}
