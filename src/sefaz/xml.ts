import { XMLParser } from 'fast-xml-parser';

/**
 * The one XML parser configuration for SEFAZ messages. fast-xml-parser's defaults corrupt
 * them: NSU "000000000000001" becomes 1, a 44-digit key becomes a float, attributes are
 * dropped and a lone docZip is not an array. Here every value stays the exact string
 * sent, attributes are kept under `@_`, namespace prefixes are removed (SEFAZ and
 * clients mix `soap:`, `soap12:`, `env:` and default namespaces), and the elements that
 * may repeat are always arrays.
 */
const ALWAYS_ARRAY = new Set(['docZip', 'retEvento', 'evento']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  // also decodes numeric references (&#xE7;), which fast-xml-parser 5 ties to this flag
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => ALWAYS_ARRAY.has(name),
});

export type XmlNode = Record<string, unknown>;

/** Parses XML text into plain objects whose leaves are all strings. */
export function parseXml(text: string): XmlNode {
  return parser.parse(text, true) as XmlNode;
}

/** Escapes text for an XML element or attribute value. */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
