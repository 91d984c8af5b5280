/**
 * The lean YAML scanner (see lean.ts). Stub: declines every document for now.
 */
import type { LeanScanner } from "./lean.js";

/** Opens a YAML document in the lean subset, or returns null. */
export const yamlLeanScanner: LeanScanner = () => null;
