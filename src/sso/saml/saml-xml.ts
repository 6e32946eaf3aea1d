import { DOMParser, onErrorStopParsing, type Document, type DOMParserOptions, type Element, type Node } from "@xmldom/xmldom";

export const SAML_PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
export const SAML_ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
export const XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#";

const ELEMENT_NODE = 1;
const PROCESSING_INSTRUCTION_NODE = 7;
const COMMENT_NODE = 8;

/** Parses text that already passed the pre-parse guard; null when it is not well-formed XML. */
export function parseXmlDocument(xml: string): Document | null {
  try {
    // Errors stop parsing: a half-read document must never be checked as if it were whole.
    // (A named options object: samlify's bundled xmldom 0.8 typings augment this module with an older Options.)
    const options: DOMParserOptions = { onError: onErrorStopParsing };
    const doc = new DOMParser(options).parseFromString(xml, "text/xml");
    return doc.documentElement ? doc : null;
  } catch {
    return null;
  }
}

export function isElement(node: Node): node is Element {
  return node.nodeType === ELEMENT_NODE;
}

export function isNamed(element: Element, namespace: string, localName: string): boolean {
  return element.namespaceURI === namespace && element.localName === localName;
}

export function childElements(parent: Element, namespace: string, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (isElement(node) && isNamed(node, namespace, localName)) found.push(node);
  }
  return found;
}

export function firstChildElement(parent: Element, namespace: string, localName: string): Element | null {
  return childElements(parent, namespace, localName)[0] ?? null;
}

/** All elements under `root` (itself included) that satisfy `matches`, in document order. */
export function descendantElements(root: Element, matches: (element: Element) => boolean): Element[] {
  const found: Element[] = [];
  const pending: Node[] = [root];
  while (pending.length > 0) {
    const node = pending.pop() as Node;
    if (!isElement(node)) continue;
    if (matches(node)) found.push(node);
    const children: Node[] = [];
    for (let child = node.firstChild; child !== null; child = child.nextSibling) children.push(child);
    pending.push(...children.reverse());
  }
  return found;
}

/** Whole text of an element, every text node concatenated (a comment inside cannot cut it short). */
export function fullText(element: Element): string {
  return element.textContent ?? "";
}

export function attributeOrNull(element: Element, name: string): string | null {
  return element.hasAttribute(name) ? element.getAttribute(name) : null;
}

/** True when a comment or processing instruction sits anywhere inside the element. */
export function containsCommentOrInstruction(element: Element): boolean {
  const pending: Node[] = [element];
  while (pending.length > 0) {
    const node = pending.pop() as Node;
    if (node.nodeType === COMMENT_NODE || node.nodeType === PROCESSING_INSTRUCTION_NODE) return true;
    for (let child = node.firstChild; child !== null; child = child.nextSibling) pending.push(child);
  }
  return false;
}
