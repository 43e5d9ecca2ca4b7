import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One field of a push: strings go in CDATA, numbers (CreateTime, MsgId, coordinates) bare. */
export type XmlField = readonly [name: string, value: string, kind: 'cdata' | 'bare'];

/** CDATA cannot hold `]]>`: it is split across two sections, as every XML writer does. */
function cdata(value: string): string {
  return `<![CDATA[${value.split(']]>').join(']]]]><![CDATA[>')}]]>`;
}

/**
 * WeChat's push layout: `<xml>` then one field per line, `</xml>` on a line of its own (the
 * layout of the messages WeChat encrypts, as its worked example shows).
 */
export function buildXml(fields: readonly XmlField[]): string {
  const lines = fields.map(
    ([name, value, kind]) => `<${name}>${kind === 'cdata' ? cdata(value) : value}</${name}>`,
  );
  return `<xml>${lines.join('\n')}\n</xml>`;
}

/** A parsed XML element: text, or child elements (repeated ones as arrays). */
export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

const parser = new XMLParser({
  // Every value stays a string: a 64-bit MsgId must not become a rounded number.
  parseTagValue: false,
  trimValues: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, path) => path === 'xml.Articles.item',
});

/**
 * The `<xml>` document a server answered, or a reason it is not one. A DOCTYPE (and with it any
 * entity declaration) is refused before parsing: WeChat's replies never carry one.
 */
export function parseXmlDocument(text: string): { ok: true; xml: XmlObject } | { ok: false; reason: string } {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return { ok: false, reason: 'a DOCTYPE or entity declaration' };
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { ok: false, reason: `not well-formed XML (${valid.err.msg})` };
  const doc = parser.parse(text) as Record<string, unknown>;
  const roots = Object.keys(doc).filter((name) => name !== '#text');
  const root = doc.xml;
  if (roots.length !== 1 || typeof root !== 'object' || root === null || Array.isArray(root)) {
    return { ok: false, reason: 'the root element is not a single <xml>' };
  }
  return { ok: true, xml: withoutWhitespace(root as XmlObject) };
}

/** Drops the whitespace between elements that the parser keeps as `#text` (trimValues is off). */
function withoutWhitespace(value: XmlObject): XmlObject {
  const out: XmlObject = {};
  for (const [name, child] of Object.entries(value)) {
    if (name === '#text') continue;
    out[name] = clean(child);
  }
  return out;
}

function clean(value: XmlValue): XmlValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(clean);
  return withoutWhitespace(value);
}

/** A text child's value, or undefined when absent or not text. */
export function textOf(xml: XmlObject, name: string): string | undefined {
  const value = xml[name];
  return typeof value === 'string' ? value : undefined;
}
