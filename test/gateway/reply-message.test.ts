import { describe, expect, it } from 'vitest';
import { customMessage, replyMessageSchema, replyXml } from '../../src/gateway/reply/reply-message.js';
import { parsePushXml } from '../../src/gateway/xml/push-xml.js';

describe('reply messages', () => {
  it("render WeChat's passive reply XML, with any text safe inside CDATA", () => {
    const xml = replyXml(
      { msgtype: 'text', content: 'a ]]> b <c> & 你好' },
      'oUser',
      'gh_acc',
      1_700_000_000,
    );
    const fields = parsePushXml(xml);
    expect(fields).toEqual({
      ToUserName: 'oUser',
      FromUserName: 'gh_acc',
      CreateTime: '1700000000',
      MsgType: 'text',
      Content: 'a ]]> b <c> & 你好',
    });
  });

  it('render media and news replies in their nested elements', () => {
    expect(parsePushXml(replyXml({ msgtype: 'image', media_id: 'M1' }, 'o', 'g', 1)).Image).toEqual({
      MediaId: 'M1',
    });
    const news = parsePushXml(
      replyXml(
        {
          msgtype: 'news',
          articles: [
            { title: 'T', description: 'D', url: 'https://a.example/x', picurl: 'https://a.example/p.png' },
          ],
        },
        'o',
        'g',
        1,
      ),
    );
    expect(news.ArticleCount).toBe('1');
    expect(news.Articles).toEqual({
      item: { Title: 'T', Description: 'D', PicUrl: 'https://a.example/p.png', Url: 'https://a.example/x' },
    });
  });

  it('become customer-service messages in the same field names (late replies)', () => {
    expect(customMessage({ msgtype: 'text', content: 'hi' }, 'oU')).toEqual({
      touser: 'oU',
      msgtype: 'text',
      text: { content: 'hi' },
    });
    expect(customMessage({ msgtype: 'image', media_id: 'M' }, 'oU')).toEqual({
      touser: 'oU',
      msgtype: 'image',
      image: { media_id: 'M' },
    });
  });

  it('validate what a subscriber answers', () => {
    expect(replyMessageSchema.safeParse({ msgtype: 'text', content: '' }).success).toBe(false);
    expect(replyMessageSchema.safeParse({ msgtype: 'text', content: 'x'.repeat(2049) }).success).toBe(false);
    expect(replyMessageSchema.safeParse({ msgtype: 'link', url: 'x' }).success).toBe(false);
    expect(replyMessageSchema.safeParse({ msgtype: 'news', articles: [] }).success).toBe(false);
    expect(replyMessageSchema.safeParse({ msgtype: 'voice', media_id: 'V' }).success).toBe(true);
  });
});
