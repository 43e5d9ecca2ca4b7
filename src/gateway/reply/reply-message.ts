import { z } from 'zod';

const text = (max: number) => z.string().min(1).max(max);
const url = z.string().url().max(2048);

/**
 * What a reply subscriber may answer with, in the field names of WeChat's customer-service
 * messages (shared/wechat-api.md §13), so one reply turns into either the passive reply XML
 * (within the deadline) or a `message/custom/send` body (late).
 */
export const replyMessageSchema = z.discriminatedUnion('msgtype', [
  z.object({ msgtype: z.literal('text'), content: text(2048) }),
  z.object({ msgtype: z.literal('image'), media_id: text(256) }),
  z.object({ msgtype: z.literal('voice'), media_id: text(256) }),
  z.object({
    msgtype: z.literal('video'),
    media_id: text(256),
    thumb_media_id: text(256).optional(),
    title: text(128).optional(),
    description: text(512).optional(),
  }),
  z.object({
    msgtype: z.literal('music'),
    title: text(128).optional(),
    description: text(512).optional(),
    musicurl: url,
    hqmusicurl: url,
    thumb_media_id: text(256),
  }),
  z.object({
    msgtype: z.literal('news'),
    articles: z
      .array(
        z.object({
          title: text(128),
          description: text(512).optional(),
          url: url.optional(),
          picurl: url.optional(),
        }),
      )
      .min(1)
      .max(8),
  }),
]);

export type ReplyMessage = z.infer<typeof replyMessageSchema>;

/** CDATA that survives any text, `]]>` included. */
function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function tag(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${cdata(value)}</${name}>`;
}

/** The body of the passive reply of `reply` (the part after `MsgType`). */
function replyBody(reply: ReplyMessage): string {
  switch (reply.msgtype) {
    case 'text':
      return tag('Content', reply.content);
    case 'image':
      return `<Image>${tag('MediaId', reply.media_id)}</Image>`;
    case 'voice':
      return `<Voice>${tag('MediaId', reply.media_id)}</Voice>`;
    case 'video':
      return `<Video>${tag('MediaId', reply.media_id)}${tag('Title', reply.title)}${tag('Description', reply.description)}</Video>`;
    case 'music':
      return `<Music>${tag('Title', reply.title)}${tag('Description', reply.description)}${tag('MusicUrl', reply.musicurl)}${tag('HQMusicUrl', reply.hqmusicurl)}${tag('ThumbMediaId', reply.thumb_media_id)}</Music>`;
    case 'news':
      return `<ArticleCount>${reply.articles.length}</ArticleCount><Articles>${reply.articles
        .map(
          (a) =>
            `<item>${tag('Title', a.title)}${tag('Description', a.description)}${tag('PicUrl', a.picurl)}${tag('Url', a.url)}</item>`,
        )
        .join('')}</Articles>`;
  }
}

/**
 * WeChat's passive reply XML (§11): to the user who wrote (`openid`), from the account
 * (`accountId`, the push's `ToUserName`), at `createTime` (Unix seconds).
 */
export function replyXml(reply: ReplyMessage, openid: string, accountId: string, createTime: number): string {
  return `<xml>${tag('ToUserName', openid)}${tag('FromUserName', accountId)}<CreateTime>${createTime}</CreateTime>${tag('MsgType', reply.msgtype)}${replyBody(reply)}</xml>`;
}

/** The `message/custom/send` body for a reply that came too late to be passive (§13). */
export function customMessage(reply: ReplyMessage, openid: string): Record<string, unknown> {
  const { msgtype, ...content } = reply;
  return { touser: openid, msgtype, [msgtype]: content };
}
