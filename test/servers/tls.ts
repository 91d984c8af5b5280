/** A throw-away TLS identity for the loopback servers, made with openssl at test time. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCert {
  /** PEM private key. */
  key: string;
  /** PEM self-signed certificate for 127.0.0.1 and localhost. */
  cert: string;
  /** A file holding {@link cert}, to trust (`NODE_EXTRA_CA_CERTS`, `HUSH_AZURE_KV_CA_FILE`, …). */
  certFile: string;
  /** Removes the files. */
  remove(): void;
}

/** A P-256 self-signed certificate valid for a day, for `IP:127.0.0.1` and `DNS:localhost`. */
export function selfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), "hush-test-tls-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return {
    key: readFileSync(keyFile, "utf8"),
    cert: readFileSync(certFile, "utf8"),
    certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
