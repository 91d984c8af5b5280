#!/usr/bin/env node
// A tiny app that takes its configuration from the environment, as twelve-factor apps do. It
// knows nothing about hush: start it either way and it sees the same variables.
//
//   hush exec-env secrets.enc.yaml -- node app.js      (values live only in the child's env)
//   node --import hush-sops/config app.js                    (loads ./secrets.enc.yaml, or $HUSH_FILE)
//
// Nested keys arrive flattened: db.password → DB_PASSWORD, stripe.api_key → STRIPE_API_KEY.
// It never prints a secret, only what it would connect to and the secrets' lengths.

const required = ["DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD", "STRIPE_API_KEY"];
const missing = required.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.error(`app: missing configuration: ${missing.join(", ")}`);
  process.exit(1);
}

const { DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, STRIPE_API_KEY, FEATURE_CHECKOUT } = process.env;
console.log(`app: database postgres://${DB_USER}@${DB_HOST}:${Number(DB_PORT)}/shop (password: ${DB_PASSWORD.length} characters)`);
console.log(`app: payments ${STRIPE_API_KEY.startsWith("sk_test_") ? "test" : "live"} mode (key: ${STRIPE_API_KEY.length} characters)`);
console.log(`app: checkout ${FEATURE_CHECKOUT === "true" ? "enabled" : "disabled"}`);
