import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { generate } from "selfsigned";
import { parseCertificate } from "./certificates.js";
import { readCertificateFile, readMetadataFile } from "./uploaded-files.js";

const refusal = (r: { ok: boolean; error?: string }) => (r.ok ? "accepted" : r.error!);

describe("uploaded certificate and metadata files", () => {
  let pem: string;
  let der: Buffer;
  let keyPem: string;
  let pfx: Buffer;
  before(async () => {
    const made = await generate([{ name: "commonName", value: "upload.idp.test" }], { keySize: 2048, algorithm: "sha256" });
    pem = made.cert;
    keyPem = made.private;
    der = new X509Certificate(pem).raw;
    // A real PKCS#12 as IdP consoles and Windows export it: certificate and private key in one file.
    const dir = mkdtempSync(join(tmpdir(), "pfx-"));
    try {
      writeFileSync(join(dir, "cert.pem"), pem);
      writeFileSync(join(dir, "key.pem"), keyPem);
      execFileSync("openssl", ["pkcs12", "-export", "-in", "cert.pem", "-inkey", "key.pem", "-out", "idp.pfx", "-passout", "pass:x"], {
        cwd: dir,
      });
      pfx = readFileSync(join(dir, "idp.pfx"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a binary DER .cer becomes the same certificate in PEM", () => {
    const read = readCertificateFile(der);
    assert.ok(read.ok, refusal(read));
    assert.match(read.value, /^-----BEGIN CERTIFICATE-----/);
    const parsed = parseCertificate(read.value);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.fingerprintSha256, new X509Certificate(pem).fingerprint256);
  });

  test("PEM and bare base64 files are read as the text they are", () => {
    assert.deepEqual(readCertificateFile(Buffer.from(pem)), { ok: true, value: pem });
    const bare = der.toString("base64");
    assert.deepEqual(readCertificateFile(Buffer.from(bare)), { ok: true, value: bare });
  });

  test("refuses a PKCS#12 file and says never to upload a private key", () => {
    assert.match(refusal(readCertificateFile(pfx)), /PKCS#12 \(\.pfx or \.p12\).*Never upload a private key/);
    assert.match(refusal(readMetadataFile(pfx, 1_000_000)), /Never upload a private key/);
  });

  test("refuses private keys in PEM (any kind) and in DER", () => {
    assert.match(refusal(readCertificateFile(Buffer.from(keyPem))), /Never upload a private key/);
    for (const type of ["pkcs1", "pkcs8"] as const) {
      const key = createPrivateKey(keyPem).export({ type, format: "der" });
      assert.match(refusal(readCertificateFile(key)), /Never upload a private key/, type);
    }
    const sec1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
    assert.match(refusal(readCertificateFile(Buffer.from(sec1))), /Never upload a private key/);
  });

  test("refuses an empty file, an oversized one and a binary that is no certificate", () => {
    assert.equal(refusal(readCertificateFile(Buffer.alloc(0))), "the file is empty");
    assert.match(refusal(readCertificateFile(Buffer.alloc(30_000, 0x41))), /larger than any certificate/);
    assert.match(refusal(readCertificateFile(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))), /not a certificate/);
    assert.match(refusal(readCertificateFile(Buffer.from("Dear IT, here is the cert you asked for."))), /not a certificate/);
  });

  test("a metadata file must be XML text; a certificate chosen by mistake is named as one", () => {
    const xml = '<?xml version="1.0"?><md:EntityDescriptor/>';
    assert.deepEqual(readMetadataFile(Buffer.from(`\ufeff${xml}`), 1_000_000), { ok: true, value: xml });
    assert.match(refusal(readMetadataFile(Buffer.from("hello, world"), 1_000_000)), /not XML/);
    assert.match(refusal(readMetadataFile(Buffer.from(pem), 1_000_000)), /this is a certificate, not metadata/);
    assert.match(refusal(readMetadataFile(der, 1_000_000)), /this is a certificate, not metadata/);
    assert.equal(refusal(readMetadataFile(Buffer.alloc(0), 1_000_000)), "the file is empty");
    assert.match(refusal(readMetadataFile(Buffer.alloc(2_000, 0x3c), 1_000)), /larger than metadata can be/);
  });
});
