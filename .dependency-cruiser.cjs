/**
 * The layers of src/ as rules (docs/architecture.md draws the same picture):
 *
 *   model, errors                      plain types and pure helpers; import nothing above them
 *   util                               small I/O helpers (atomic writes, reading input)
 *   formats, keys, config              each on its own: formats and keys never import core or
 *                                      each other; config may name key services
 *   core                               cipher, MAC, metadata, the document walk: where formats
 *                                      and keys meet
 *   lib                                the public library: whole operations, the data key
 *   cli, git, exec, action, team, k8s  the programs on top: they call lib (plus model, errors,
 *                                      util) and nothing below it
 *
 * Nothing imports cli, and there are no cycles. `npm run check:deps` runs this with
 * `--ignore-known .dependency-cruiser-known-violations.json`: violations that existed when the
 * rules were written are listed there (temporarily) and every new one fails `npm test`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const TOP = "^src/(cli|git|exec|action|team|k8s)/";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle ties modules into one unit that can only change together.",
      from: {},
      to: { circular: true },
    },
    {
      name: "model-is-the-ground-floor",
      severity: "error",
      comment: "src/model holds plain types and pure helpers: it imports only itself and errors.ts.",
      from: { path: "^src/model/" },
      to: { path: "^src/", pathNot: ["^src/model/", "^src/errors\\.ts$"] },
    },
    {
      name: "model-has-no-packages",
      severity: "error",
      comment: "model is plain TypeScript: no npm package (node: built-ins are fine).",
      from: { path: "^src/model/" },
      to: { dependencyTypes: ["npm", "npm-dev", "npm-optional", "npm-peer", "npm-bundled", "npm-no-pkg", "npm-unknown"] },
    },
    {
      name: "errors-import-nothing",
      severity: "error",
      from: { path: "^src/errors\\.ts$" },
      to: { path: "^src/" },
    },
    {
      name: "util-stays-low",
      severity: "error",
      comment: "util/ is plumbing every layer may use; it imports only model and errors.",
      from: { path: "^src/util/" },
      to: { path: "^src/", pathNot: ["^src/util/", "^src/model/", "^src/errors\\.ts$"] },
    },
    {
      name: "formats-know-no-crypto",
      severity: "error",
      comment: "A format parses and emits text; it knows nothing of core, keys, config or the layers above.",
      from: { path: "^src/formats/" },
      to: { path: "^src/", pathNot: ["^src/formats/", "^src/model/", "^src/errors\\.ts$", "^src/util/"] },
    },
    {
      name: "keys-know-no-formats",
      severity: "error",
      comment: "A key service wraps and unwraps data keys; it knows nothing of core, formats, config or the layers above.",
      from: { path: "^src/keys/" },
      to: { path: "^src/", pathNot: ["^src/keys/", "^src/model/", "^src/errors\\.ts$", "^src/util/"] },
    },
    {
      name: "config-below-core",
      severity: "error",
      comment: "config reads .sops.yaml; it may name key services but not core or anything above.",
      from: { path: "^src/config/" },
      to: { path: "^src/", pathNot: ["^src/config/", "^src/keys/", "^src/model/", "^src/errors\\.ts$", "^src/util/"] },
    },
    {
      name: "core-below-lib",
      severity: "error",
      comment: "core is the pipeline; lib and the programs above call it, never the other way round.",
      from: { path: "^src/core/" },
      to: { path: "^src/(lib|cli|git|exec|action|team|k8s)/" },
    },
    {
      name: "lib-below-programs",
      severity: "error",
      comment: "The library never imports the programs built on it.",
      from: { path: "^src/lib/" },
      to: { path: TOP },
    },
    {
      name: "programs-call-lib",
      severity: "error",
      comment: "cli, git drivers, exec, the Action, team and k8s call the library (plus model, errors, util), never core, formats, keys or config.",
      from: { path: TOP },
      to: { path: "^src/(core|formats|keys|config)/" },
    },
    {
      name: "nothing-imports-cli",
      severity: "error",
      comment: "cli/ is the outermost layer: only cli/ itself imports it.",
      from: { path: "^src/", pathNot: "^src/cli/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "sdks-load-lazily",
      severity: "error",
      comment:
        "Cloud SDKs and openpgp are imported with `await import()` inside the function that needs them, so `hush --help` and an age-only decrypt never load them (type-only imports and `typeof import()` types are fine: they are erased).",
      from: { path: "^src/" },
      to: {
        path: "node_modules/(@aws-sdk|@smithy|@google-cloud|google-gax|@grpc|@azure|openpgp)/",
        dependencyTypesNot: ["dynamic-import", "type-only", "type-import"],
      },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that does not resolve is a typo or a missing dependency.",
      from: { path: "^src/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports are dependencies too: a layer must not even name a type from above it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".d.ts"],
    },
  },
};
