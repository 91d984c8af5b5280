// The third-party packages the published package carries as bundles in dist/bundle/vendor/
// (scripts/bundle-vendor.js) instead of installing them: the ones our sources import with
// `await import("pkg")`. scripts/bundle.js (the CLI script) and bundle-vendor.js (the library)
// rewrite those imports to the vendored files. commander and yaml are inlined, not vendored.

/** The vendored packages. */
export const VENDORED = ["age-encryption", "openpgp", "simple-git", "@aws-sdk/client-kms", "@aws-sdk/client-sts", "@azure/identity", "@azure/keyvault-keys", "@google-cloud/kms", "google-gax"];

/** The file of a vendored package's entry, relative to dist/bundle/vendor/. */
export const vendorFile = (pkg) => `${pkg.replace(/^@/, "").replace("/", "__")}.js`;

/**
 * Vendored packages that are CommonJS only: an ES module re-exporting one (`export *`) would
 * export nothing, so their entry's `default` is the package's exports object (as in the
 * Action's bundle; src/keys/gcp-kms-client.ts reads `default` when there are no names).
 */
export const COMMONJS_ONLY = ["@google-cloud/kms", "google-gax"];
