/**
 * The entry of dist/bundle/lib.cjs (scripts/bundle-vendor.js), what `require("hush-sops")` and
 * `import … from "hush-sops"` load: the public library (index.ts, whose declarations
 * scripts/bundle-dts.js rolls up into the package's types), and `hush-sops/config`'s code under
 * `configEntry` (not in the types), so that dist/bundle/config.cjs and config.mjs are two lines
 * each instead of a second copy of the library. lib.cjs is also the script of config-sync.ts's worker.
 */
export * from "./index.js";
export * as configEntry from "./config-sync.js";
