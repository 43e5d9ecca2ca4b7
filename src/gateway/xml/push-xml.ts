import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { WxhubError } from '../../errors/index.js';

/** A push's fields: text for leaves, objects for nested elements (e.g. `ScanCodeInfo`). */
export type PushFields = { readonly [name: string]: string | PushFields | readonly (string | PushFields)[] };

/** Largest push accepted, bytes. WeChat's own are a few KB; a long text message stays under 8 KB. */
export const MAX_PUSH_BYTES = 64 * 1024;

/**
 * Anything that starts a markup declaration other than CDATA: `<!DOCTYPE`, `<!ENTITY`,
 * `<!ELEMENT`, comments. WeChat never sends them; refusing them before parsing means an entity
 * can never be defined, let alone expanded (billion laughs, external entities).
 */
const DECLARATION = /<!(?!\[CDATA\[)/;
/** Processing instructions other than the XML declaration itself. */
const INSTRUCTION = /<\?(?!xml[\s?])/i;

const parser = new XMLParser({
  // Every value stays text: MsgId is a 64-bit number that a JavaScript number would round.
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: true,
  // Only the five predefined entities (&lt; etc.), never a DOCTYPE's or HTML's.
  processEntities: true,
  htmlEntities: false,
  trimValues: false,
});

/**
 * Parses a push body (`<xml>…</xml>`) into its fields, refusing with `WXHUB_ERR_CALLBACK_XML`
 * anything too large, malformed, or carrying a declaration or processing instruction.
 */
export function parsePushXml(body: string): PushFields {
  if (Buffer.byteLength(body) > MAX_PUSH_BYTES) throw xmlError(`larger than ${MAX_PUSH_BYTES} bytes`);
  if (DECLARATION.test(body)) throw xmlError('a DOCTYPE, entity or comment declaration');
  if (INSTRUCTION.test(body)) throw xmlError('a processing instruction');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw xmlError(`malformed (line ${valid.err.line}: ${valid.err.msg})`);
  const root = (parser.parse(body) as Record<string, unknown>).xml;
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    throw xmlError('no <xml> root element');
  return root as PushFields;
}

/** A top-level text field of a push, or undefined when absent or not text. */
export function textField(fields: PushFields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' ? value : undefined;
}

function xmlError(why: string): WxhubError {
  return new WxhubError('WXHUB_ERR_CALLBACK_XML', why);
}
