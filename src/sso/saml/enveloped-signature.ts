import { X509Certificate, createHash, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import type { Document, Element, Node } from "@xmldom/xmldom";
import { ExclusiveCanonicalization } from "xml-crypto";
import { samlFailure, type SamlResult } from "./failure.js";
import { XMLDSIG_NS, childElements, descendantElements, isElement, parseXmlDocument } from "./saml-xml.js";

const EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
// The only Transforms a SAML signature needs, in this order (SAML core 5.4.4). Anything else, the
// #WithComments variants included, is refused: comments must never be part of what we trust.
const EXPECTED_TRANSFORMS = [ENVELOPED_SIGNATURE, EXCLUSIVE_C14N];
// What xml-crypto 6 (and so node-saml) can verify, minus SHA-1: an algorithm it cannot check is not accepted here either.
const SIGNATURE_HASHES: Record<string, string> = {
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "sha512",
};
const DIGEST_HASHES: Record<string, string> = {
  "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
  "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
};
// xml-crypto resolves a Reference against any of these attribute names, in any namespace.
const ID_ATTRIBUTE_NAMES = new Set(["ID", "Id", "id"]);
// Each of these must occur exactly once in a Signature, so that what xml-crypto would read ("the first one
// anywhere below Signature") and what we read (the one in its place) can never be two different elements.
const ONCE_PER_SIGNATURE = [
  "SignedInfo",
  "CanonicalizationMethod",
  "SignatureMethod",
  "Reference",
  "DigestMethod",
  "DigestValue",
  "SignatureValue",
];
const DEFAULT_NS_FOR_PREFIX = { ds: XMLDSIG_NS };

/** Facts about the whole document that every signature check needs, gathered in one walk. */
export interface DocumentIndex {
  /** How many ID/Id/id attributes carry each value. */
  idCounts: Map<string, number>;
  /** xml-crypto canonicalises SignedInfo with the in-scope namespaces of the document's first SignedInfo. */
  firstSignedInfo: Element | null;
}

export function indexDocument(doc: Document): DocumentIndex {
  const idCounts = new Map<string, number>();
  let firstSignedInfo: Element | null = null;
  const root = doc.documentElement;
  if (root === null) return { idCounts, firstSignedInfo };
  for (const element of descendantElements(root, () => true)) {
    if (firstSignedInfo === null && element.localName === "SignedInfo") firstSignedInfo = element;
    for (let i = 0; i < element.attributes.length; i++) {
      const attribute = element.attributes.item(i);
      if (attribute === null || !ID_ATTRIBUTE_NAMES.has(attribute.localName ?? "")) continue;
      idCounts.set(attribute.value, (idCounts.get(attribute.value) ?? 0) + 1);
    }
  }
  return { idCounts, firstSignedInfo };
}

/**
 * Verifies the one enveloped `signature` of `signed` (a direct child of it) with one of the trusted
 * certificates: its only Reference points at `signed` by an ID that occurs once in the document, the
 * digest of `signed` canonicalised (exclusive c14n, without comments, xml-crypto's own code) matches, and
 * SignatureValue verifies over the canonical SignedInfo. Keys come only from `certificates`, never from KeyInfo.
 */
export function verifyEnvelopedSignature(
  signature: Element,
  signed: Element,
  certificates: readonly string[],
  index: DocumentIndex,
): SamlResult<null> {
  const parts = readSignatureParts(signature);
  if (!parts.ok) return parts;
  const { signedInfo, signatureHash, signatureValue } = parts.value;

  const signedInfoCanonical = canonicaliseInPlace(signedInfo, null, {
    ancestorNamespaces: index.firstSignedInfo ? ancestorNamespacesOf(index.firstSignedInfo) : [],
  });
  // The Reference is read back from the canonical bytes the signature covers, as xml-crypto does.
  const reference = readReference(signedInfoCanonical);
  if (!reference.ok) return reference;
  const { uri, digestHash, digestValue, inclusivePrefixes } = reference.value;

  // Same-document reference to the signed element itself, by an ID nobody else carries (XSW defence).
  const id = uri.startsWith("#") ? uri.slice(1) : "";
  if (id === "" || /['"]/.test(id)) return refused(`its Reference URI ${uri === "" ? "is empty" : "is not a same-document ID"}`);
  if (signed.getAttribute("ID") !== id) return refused("its Reference does not point at the element that carries it");
  if (index.idCounts.get(id) !== 1) return refused("the ID its Reference points at occurs more than once in the document");

  const signedCanonical = canonicaliseInPlace(signed, signature, {
    inclusiveNamespacesPrefixList: inclusivePrefixes,
    ancestorNamespaces: ancestorNamespacesOf(signed),
  });
  const computed = createHash(digestHash).update(signedCanonical, "utf8").digest();
  const expected = Buffer.from(digestValue, "base64");
  // The digest is what ties the signature to these bytes: a mismatch means the element was changed after signing.
  if (computed.length !== expected.length || !timingSafeEqual(computed, expected))
    return refused("the signed element's digest does not match");

  const data = Buffer.from(signedInfoCanonical, "utf8");
  const signatureBytes = Buffer.from(signatureValue, "base64");
  const verified = certificates.some((pem) => {
    const key = publicKeyOf(pem);
    return key !== null && verify(signatureHash, data, key, signatureBytes);
  });
  return verified ? { ok: true, value: null } : refused("its SignatureValue does not verify with any of the connection's certificates");
}

interface SignatureParts {
  signedInfo: Element;
  signatureHash: string;
  signatureValue: string;
}

function readSignatureParts(signature: Element): SamlResult<SignatureParts> {
  const counts = new Map<string, number>();
  for (const element of descendantElements(signature, (e) => e !== signature)) {
    counts.set(element.localName ?? "", (counts.get(element.localName ?? "") ?? 0) + 1);
  }
  const repeated = ONCE_PER_SIGNATURE.find((name) => counts.get(name) !== 1);
  if (repeated !== undefined) return refused(`it has ${counts.get(repeated) ?? 0} ${repeated} elements, exactly one is allowed`);
  // node-saml refuses more than two Transforms anywhere in the signature; we want exactly the two we expect.
  if (counts.get("Transform") !== EXPECTED_TRANSFORMS.length) return refused("it does not have exactly two Transforms");

  const [signedInfo] = childElements(signature, XMLDSIG_NS, "SignedInfo");
  const [method] = signedInfo ? childElements(signedInfo, XMLDSIG_NS, "CanonicalizationMethod") : [];
  const [signatureMethod] = signedInfo ? childElements(signedInfo, XMLDSIG_NS, "SignatureMethod") : [];
  const [valueElement] = childElements(signature, XMLDSIG_NS, "SignatureValue");
  if (!signedInfo || !method || !signatureMethod || !valueElement)
    return refused("its SignedInfo or SignatureValue is not where XML Signature puts it");
  if (method.getAttribute("Algorithm") !== EXCLUSIVE_C14N)
    return refused("SignedInfo is not canonicalised with exclusive c14n without comments");
  const signatureHash = SIGNATURE_HASHES[signatureMethod.getAttribute("Algorithm") ?? ""];
  if (signatureHash === undefined) return refused("its SignatureMethod is not RSA-SHA256 or RSA-SHA512");
  // xml-crypto reads only the first text node: a SignatureValue split by a comment or CDATA would be read two ways.
  const valueNode = valueElement.firstChild;
  if (valueNode === null || valueNode.nextSibling !== null || valueNode.nodeType !== TEXT_NODE) {
    return refused("its SignatureValue is not plain text");
  }
  return { ok: true, value: { signedInfo, signatureHash, signatureValue: (valueNode as unknown as { data: string }).data } };
}

const TEXT_NODE = 3;

interface ReferenceParts {
  uri: string;
  digestHash: string;
  digestValue: string;
  inclusivePrefixes: string[];
}

function readReference(signedInfoCanonical: string): SamlResult<ReferenceParts> {
  const signedInfo = parseXmlDocument(signedInfoCanonical)?.documentElement ?? null;
  if (signedInfo === null) return refused("its canonical SignedInfo could not be read");
  const references = childElements(signedInfo, XMLDSIG_NS, "Reference");
  const [reference] = references;
  if (references.length !== 1 || !reference) return refused("SignedInfo does not hold exactly one Reference");
  const [digestMethod] = childElements(reference, XMLDSIG_NS, "DigestMethod");
  const digestHash = DIGEST_HASHES[digestMethod?.getAttribute("Algorithm") ?? ""];
  if (digestHash === undefined) return refused("its DigestMethod is not SHA-256 or SHA-512");
  const [digestValueElement] = childElements(reference, XMLDSIG_NS, "DigestValue");
  const digestValue = digestValueElement?.textContent ?? "";
  if (digestValue === "") return refused("its Reference has no DigestValue");
  const transformsElements = childElements(reference, XMLDSIG_NS, "Transforms");
  const transforms =
    transformsElements.length === 1 && transformsElements[0] ? childElements(transformsElements[0], XMLDSIG_NS, "Transform") : [];
  const algorithms = transforms.map((t) => t.getAttribute("Algorithm"));
  if (algorithms.length !== EXPECTED_TRANSFORMS.length || algorithms.some((a, i) => a !== EXPECTED_TRANSFORMS[i])) {
    return refused("its Transforms are not exactly enveloped-signature then exclusive c14n without comments");
  }
  const last = transforms[transforms.length - 1] as Element;
  const inclusivePrefixes = elementChildren(last)
    .filter((e) => e.localName === "InclusiveNamespaces")
    .flatMap((e) => (e.getAttribute("PrefixList") ?? "").split(" "))
    .filter((prefix) => prefix.length > 0);
  return { ok: true, value: { uri: reference.getAttribute("URI") ?? "", digestHash, digestValue, inclusivePrefixes } };
}

interface CanonicalisationOptions {
  inclusiveNamespacesPrefixList?: string[];
  ancestorNamespaces: Array<{ prefix: string; namespaceURI: string }>;
}

/** `copy` must be a copy: xml-crypto's process() may add namespace declarations to the element it is given. */
function canonicalise(element: Element, options: CanonicalisationOptions): string {
  const c14n = new ExclusiveCanonicalization();
  return c14n.process(element as unknown as globalThis.Element, { ...options, defaultNsForPrefix: DEFAULT_NS_FOR_PREFIX }).toString();
}

/** The namespace declarations in scope from the ancestors of `element`, as xml-crypto 6 computes them. */
function ancestorNamespacesOf(element: Element): Array<{ prefix: string; namespaceURI: string }> {
  const seen = new Map<string, string>();
  for (let parent = element.parentNode; parent !== null && isElement(parent); parent = parent.parentNode) {
    for (let i = 0; i < parent.attributes.length; i++) {
      const attribute = parent.attributes.item(i);
      if (attribute === null || !/^xmlns:?/.test(attribute.nodeName)) continue;
      const prefix = attribute.nodeName.replace(/^xmlns:?/, "");
      if (!seen.has(prefix)) seen.set(prefix, attribute.nodeValue ?? "");
    }
  }
  const own = new Set<string>([element.prefix ?? ""]);
  for (let i = 0; i < element.attributes.length; i++) {
    const name = element.attributes.item(i)?.nodeName ?? "";
    if (name === "xmlns" || name.startsWith("xmlns:")) own.add(name.replace(/^xmlns:?/, ""));
  }
  return [...seen].filter(([prefix, uri]) => uri !== "" && !own.has(prefix)).map(([prefix, namespaceURI]) => ({ prefix, namespaceURI }));
}

function elementChildren(parent: Element): Element[] {
  const found: Element[] = [];
  for (let node: Node | null = parent.firstChild; node !== null; node = node.nextSibling) if (isElement(node)) found.push(node);
  return found;
}

/**
 * Exclusive c14n of the parsed element itself rather than a deep copy (copying the assertion was a quarter of a
 * verification), with the enveloped-signature transform when `signature` is given: the signature is taken out
 * for the canonicalisation and put back where it was. xml-crypto may declare namespaces on the element it
 * canonicalises (an inclusive prefix found among the ancestors); whatever it declares is undone too, so the
 * document reads as parsed afterwards.
 */
function canonicaliseInPlace(element: Element, signature: Element | null, options: CanonicalisationOptions): string {
  const declared = namespaceDeclarationsOf(element);
  const next = signature?.nextSibling ?? null;
  if (signature) element.removeChild(signature);
  try {
    return canonicalise(element, options);
  } finally {
    for (const [name, value] of namespaceDeclarationsOf(element)) {
      const before = declared.get(name);
      if (before === undefined) element.removeAttribute(name);
      else if (before !== value) element.setAttributeNS(XMLNS_NS, name, before);
    }
    if (signature) element.insertBefore(signature, next);
  }
}

const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

function namespaceDeclarationsOf(element: Element): Map<string, string> {
  const declared = new Map<string, string>();
  for (let i = 0; i < element.attributes.length; i++) {
    const attribute = element.attributes.item(i);
    if (attribute !== null && /^xmlns(?::|$)/.test(attribute.nodeName)) declared.set(attribute.nodeName, attribute.value);
  }
  return declared;
}

// One KeyObject per certificate, built once: parsing the PEM at every verify is most of node-saml's key cost.
const MAX_CACHED_KEYS = 512;
const publicKeys = new Map<string, KeyObject | null>();

function publicKeyOf(pem: string): KeyObject | null {
  const cached = publicKeys.get(pem);
  if (cached !== undefined) return cached;
  let key: KeyObject | null;
  try {
    key = new X509Certificate(pem).publicKey;
  } catch {
    key = null;
  }
  if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value as string);
  publicKeys.set(pem, key);
  return key;
}

function refused(detail: string) {
  return samlFailure("invalid_signature", `No valid signature by the connection's certificates covers the assertion: ${detail}`);
}
