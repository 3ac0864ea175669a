import type { XmlNode } from './xml.js';

/**
 * Reading the plain objects parseXml returns. An element with attributes comes back as
 * an object holding its text under "#text"; the elements xml.ts always makes arrays
 * come back as arrays even when single.
 */
export function isNode(v: unknown): v is XmlNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The child element `name`, or the first one when it repeats. */
export function child(node: unknown, name: string): XmlNode | undefined {
  if (!isNode(node)) return undefined;
  const v = node[name];
  const first = Array.isArray(v) ? (v[0] as unknown) : v;
  if (isNode(first)) return first;
  // An empty element parses as "": still present, with no children.
  return first === '' ? {} : undefined;
}

/** Follows a path of child elements. */
export function path(node: unknown, ...names: string[]): XmlNode | undefined {
  let cur: unknown = node;
  for (const name of names) {
    cur = child(cur, name);
    if (cur === undefined) return undefined;
  }
  return cur as XmlNode;
}

/** The text of an element or attribute value; undefined when absent or not text. */
export function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isNode(v)) {
    const t = v['#text'];
    return typeof t === 'string' ? t : Object.keys(v).every((k) => k.startsWith('@_')) ? '' : undefined;
  }
  return undefined;
}

/** The text of the child element `name` (first one when it repeats). */
export function childText(node: unknown, name: string): string | undefined {
  if (!isNode(node)) return undefined;
  const v = node[name];
  return textOf(Array.isArray(v) ? (v[0] as unknown) : v);
}

/** The names of a parsed document's top-level elements. */
export function rootNames(doc: XmlNode): string[] {
  return Object.keys(doc).filter((k) => !k.startsWith('@_') && k !== '#text');
}
