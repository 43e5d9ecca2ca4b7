import sax from 'sax';
import { WxhubError } from '../../errors/index.js';

/** A push's fields: text for leaves, objects for nested elements (e.g. `ScanCodeInfo`). */
export type PushFields = { readonly [name: string]: string | PushFields | readonly (string | PushFields)[] };

type Field = string | PushFields | (string | PushFields)[];

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

/** An element being read: its text so far, and its children once it has any. */
interface Open {
  readonly name: string;
  text: string;
  children: Record<string, Field> | null;
}

/**
 * Parses a push body (`<xml>…</xml>`) into its fields, refusing with `WXHUB_ERR_CALLBACK_XML`
 * anything too large, malformed, or carrying a declaration or processing instruction.
 *
 * One pass of sax's strict parser, which refuses what is not well-formed XML (an undefined
 * entity included) as it reads: validating first and parsing after cost a second pass. Every
 * value stays text (a `MsgId` is a 64-bit number that a JavaScript number would round); only the
 * five predefined entities and character references are decoded; attributes are ignored (WeChat
 * sends none). Repeated elements become arrays; whitespace between elements is not a field.
 */
export function parsePushXml(body: string): PushFields {
  if (Buffer.byteLength(body) > MAX_PUSH_BYTES) throw xmlError(`larger than ${MAX_PUSH_BYTES} bytes`);
  if (DECLARATION.test(body)) throw xmlError('a DOCTYPE, entity or comment declaration');
  if (INSTRUCTION.test(body)) throw xmlError('a processing instruction');
  const root = readTree(body);
  if (root.name !== 'xml' || typeof root.value !== 'object') throw xmlError('no <xml> root element');
  return root.value;
}

/** A top-level text field of a push, or undefined when absent or not text. */
export function textField(fields: PushFields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' ? value : undefined;
}

function readTree(body: string): { name: string; value: string | PushFields } {
  // strictEntities: XML's five entities only (sax knows HTML's otherwise); @types/sax lacks it.
  const options = { trim: false, normalize: false, position: true, strictEntities: true };
  const parser = sax.parser(true, options);
  const open: Open[] = [];
  let root: { name: string; value: string | PushFields } | undefined;
  parser.onerror = (err) => {
    throw xmlError(`malformed (line ${parser.line + 1}: ${err.message.split('\n')[0]})`);
  };
  // Refused before parsing already; the parser's word on them too, should the checks above miss.
  parser.ondoctype = () => {
    throw xmlError('a DOCTYPE, entity or comment declaration');
  };
  parser.oncomment = parser.ondoctype;
  parser.onprocessinginstruction = ({ name }) => {
    if (name !== 'xml' || root || open.length > 0) throw xmlError('a processing instruction');
  };
  parser.onopentag = ({ name }) => {
    if (root) throw xmlError('more than one root element');
    const parent = open.at(-1);
    if (parent) parent.children ??= {};
    open.push({ name, text: '', children: null });
  };
  parser.ontext = (text) => {
    const current = open.at(-1);
    if (current) current.text += text;
  };
  parser.oncdata = parser.ontext;
  parser.onclosetag = () => {
    const done = open.pop() as Open;
    const value = elementValue(done);
    const parent = open.at(-1);
    if (parent) addChild(parent.children as Record<string, Field>, done.name, value);
    else root = { name: done.name, value };
  };
  parser.write(body).close();
  if (!root) throw xmlError('no <xml> root element');
  return root;
}

/** Text for a leaf; for an element with children, its fields (and `#text` for text among them). */
function elementValue(element: Open): string | PushFields {
  if (!element.children) return element.text;
  if (element.text.trim() !== '') addChild(element.children, '#text', element.text);
  return element.children;
}

function addChild(fields: Record<string, Field>, name: string, value: string | PushFields): void {
  const before = Object.hasOwn(fields, name) ? fields[name] : undefined;
  if (Array.isArray(before)) {
    before.push(value);
    return;
  }
  const next: Field = before === undefined ? value : [before, value];
  // An element named __proto__ is a field like any other, not the object's prototype.
  if (name === '__proto__')
    Object.defineProperty(fields, name, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else fields[name] = next;
}

function xmlError(why: string): WxhubError {
  return new WxhubError('WXHUB_ERR_CALLBACK_XML', why);
}
