import type { Element } from "@xmldom/xmldom";
import { err, ok, type Result } from "../../result.js";
import { parseCertificate, type TrustedCertificate } from "./certificates.js";
import type { IdpSettings } from "./connection.js";
import { guardXmlText } from "./pre-parse-guard.js";
import { attributeOrNull, descendantElements, fullText, isNamed, parseXmlDocument, XMLDSIG_NS } from "./saml-xml.js";

const MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata";
const REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

export const MAX_METADATA_BYTES = 1024 * 1024;
// One current certificate and one next: a rollover. More than that is a sign of the wrong document.
export const MAX_TRUSTED_CERTIFICATES = 2;

/** Reads an IdP's SAML metadata (Okta "View IdP metadata", Entra "Federation Metadata XML", Auth0, Google). */
export function parseIdpMetadata(xml: string): Result<IdpSettings, string> {
  if (Buffer.byteLength(xml, "utf8") > MAX_METADATA_BYTES) return err("the metadata is larger than 1 MB");
  const guarded = guardXmlText(xml);
  if (!guarded.ok) return err(`the metadata was refused: ${guarded.error.reason.replace(/^SAMLResponse/, "it")}`);
  const doc = parseXmlDocument(guarded.value);
  if (!doc) return err("the metadata is not well-formed XML");
  const idps = descendantElements(doc.documentElement!, (e) => isNamed(e, MD_NS, "EntityDescriptor")).filter(
    (e) => descendantElements(e, (d) => isNamed(d, MD_NS, "IDPSSODescriptor")).length > 0,
  );
  if (idps.length === 0)
    return err("the metadata has no EntityDescriptor with an IDPSSODescriptor: is it the identity provider's metadata?");
  if (idps.length > 1) return err(`the metadata describes ${idps.length} identity providers; paste the one for this clinic`);
  const entity = idps[0]!;
  const entityId = attributeOrNull(entity, "entityID")?.trim();
  if (!entityId) return err("the EntityDescriptor has no entityID");
  const descriptor = descendantElements(entity, (e) => isNamed(e, MD_NS, "IDPSSODescriptor"))[0]!;
  const services = descendantElements(descriptor, (e) => isNamed(e, MD_NS, "SingleSignOnService"));
  const service =
    services.find((s) => attributeOrNull(s, "Binding") === REDIRECT_BINDING) ??
    services.find((s) => attributeOrNull(s, "Binding") === POST_BINDING);
  const ssoUrl = service ? attributeOrNull(service, "Location")?.trim() : undefined;
  if (!service || !ssoUrl) return err("the metadata has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding");
  const certificates = signingCertificates(descriptor);
  if (!certificates.ok) return certificates;
  return ok({
    idpEntityId: entityId,
    idpSsoUrl: ssoUrl,
    idpSsoBinding: attributeOrNull(service, "Binding") === REDIRECT_BINDING ? "redirect" : "post",
    certificates: certificates.value,
  });
}

function signingCertificates(descriptor: Element): Result<TrustedCertificate[], string> {
  // A KeyDescriptor without "use" serves both signing and encryption.
  const keys = descendantElements(descriptor, (e) => isNamed(e, MD_NS, "KeyDescriptor")).filter(
    (k) => (attributeOrNull(k, "use") ?? "signing") === "signing",
  );
  const found = new Map<string, TrustedCertificate>();
  for (const key of keys) {
    for (const element of descendantElements(key, (e) => isNamed(e, XMLDSIG_NS, "X509Certificate"))) {
      const parsed = parseCertificate(fullText(element));
      if (!parsed.ok) return err(`a signing certificate in the metadata is unusable: ${parsed.error}`);
      found.set(parsed.value.fingerprintSha256, parsed.value);
    }
  }
  if (found.size === 0) return err('the metadata lists no signing certificate (KeyDescriptor use="signing" with an X509Certificate)');
  if (found.size > MAX_TRUSTED_CERTIFICATES)
    return err(`the metadata lists ${found.size} signing certificates; at most ${MAX_TRUSTED_CERTIFICATES} are trusted at once`);
  return ok([...found.values()]);
}
