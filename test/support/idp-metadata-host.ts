import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** A certificate as bare base64 (Entra's "Certificate (Base64)", the body of a metadata X509Certificate). */
export function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}

const keyDescriptor = (use: "signing" | "encryption", pem: string) =>
  `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pemBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;

/**
 * IdP metadata as Okta serves it: entity ID, signing certificates and the Redirect SSO URL. `full` adds what a real
 * document also carries and the SP must skip: an encryption key, a NameIDFormat and an HTTP-POST SSO URL listed first.
 */
export function idpMetadataXml(entityId: string, ssoUrl: string, certificates: string[], options: { full?: boolean } = {}): string {
  const signing = certificates.map((c) => keyDescriptor("signing", c)).join("");
  const extra = options.full
    ? `${keyDescriptor("encryption", certificates[0]!)}<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ssoUrl}/post"/>`
    : "";
  const descriptor = options.full
    ? `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`
    : `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`;
  return `<?xml version="1.0"${options.full ? ' encoding="UTF-8"' : ""}?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">${descriptor}${signing}${extra}<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
}

/** An IdP's web server on 127.0.0.1 (outbound HTTP is the one thing tests fake): each path answers as set, others 404. */
export interface IdpMetadataHost {
  /** The address of a path on this host. */
  url(path: string): string;
  /** What the path answers from now on. */
  answer(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  /** The path answers this document from now on. */
  serve(path: string, body: string): void;
  close(): Promise<void>;
}

export async function startIdpMetadataHost(): Promise<IdpMetadataHost> {
  const answers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const server = createServer((req, res) => {
    const answer = answers.get(req.url ?? "");
    if (answer) return answer(req, res);
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    answer: (path, handler) => void answers.set(path, handler),
    serve: (path, body) => void answers.set(path, (_req, res) => res.end(body)),
    close: async () => {
      // A test may leave a request hanging on purpose (an IdP that never answers): close does not wait for it.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
