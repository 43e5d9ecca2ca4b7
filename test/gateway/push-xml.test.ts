import { describe, expect, it } from 'vitest';
import { isWxhubError } from '../../src/errors/index.js';
import { parsePushXml } from '../../src/gateway/xml/push-xml.js';

function refusal(body: string): string | undefined {
  try {
    parsePushXml(body);
    return undefined;
  } catch (err) {
    if (!isWxhubError(err)) throw err;
    expect(err.code).toBe('WXHUB_ERR_CALLBACK_XML');
    return err.message;
  }
}

describe('parsePushXml, in one pass', () => {
  it('refuses in its single pass what is not well-formed: mismatched or unclosed tags, undefined entities, two roots, text outside', () => {
    for (const body of [
      '<xml><A>1</B></xml>',
      '<xml><A><B>1</A></B></xml>',
      '<xml><A>1</A>',
      '<xml><A>&foo;</A></xml>',
      '<xml><A>&nbsp;&copy;</A></xml>',
      '<xml><A>1</A></xml><xml><A>2</A></xml>',
      '<xml><A>1</A></xml>junk',
      '<xml><A>a < b</A></xml>',
      '<xml><![CDATA[x</xml>',
    ])
      expect(refusal(body), body).toBeDefined();
  });

  it('refuses an XML declaration anywhere but at the start', () => {
    expect(refusal('<xml><?xml version="1.0"?><A>1</A></xml>')).toMatch(/processing instruction/);
    expect(parsePushXml('<?xml version="1.0"?><xml><A>1</A></xml>')).toEqual({ A: '1' });
  });

  it('keeps values as text, decodes only the predefined entities and character references, joins CDATA', () => {
    expect(
      parsePushXml(
        '<xml><MsgId>23456789012345678901</MsgId><A>&lt;&#20320;&#x597D;&amp;</A><B><![CDATA[a]]>b<![CDATA[<c>]]></B><C/><D> </D></xml>',
      ),
    ).toEqual({ MsgId: '23456789012345678901', A: '<你好&', B: 'ab<c>', C: '', D: ' ' });
  });

  it('makes repeated elements arrays and nested ones objects; whitespace between elements is no field', () => {
    const fields = parsePushXml(
      '<xml>\n  <MsgType>event</MsgType>\n  <SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum>a</PicMd5Sum></item><item><PicMd5Sum>b</PicMd5Sum></item><item><PicMd5Sum>c</PicMd5Sum></item></PicList></SendPicsInfo>\n</xml>',
    );
    expect(fields).toEqual({
      MsgType: 'event',
      SendPicsInfo: {
        Count: '2',
        PicList: { item: [{ PicMd5Sum: 'a' }, { PicMd5Sum: 'b' }, { PicMd5Sum: 'c' }] },
      },
    });
    expect(Object.keys(fields)).toEqual(['MsgType', 'SendPicsInfo']);
  });

  it('keeps an element named __proto__ as a field, not as the prototype of the fields', () => {
    const fields = parsePushXml('<xml><__proto__><polluted>1</polluted></__proto__></xml>');
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect((fields as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(fields, '__proto__')).toBe(true);
  });
});
