import { z } from 'zod';
import { WxhubError } from '../errors/index.js';

/**
 * Response schemas: they check the fields callers rely on and let everything else through
 * unchanged, so both WeChat's current field set and the legacy one (nickname, sex, region,
 * headimgurl before 2021-12) parse.
 * @see shared/wechat-api.md §3–§6
 */
export const userInfoSchema = z.looseObject({
  subscribe: z.number(),
  openid: z.string(),
  unionid: z.string().optional(),
  language: z.string().optional(),
  subscribe_time: z.number().optional(),
  remark: z.string().optional(),
  groupid: z.number().optional(),
  tagid_list: z.array(z.number()).optional(),
  subscribe_scene: z.string().optional(),
  qr_scene: z.number().optional(),
  qr_scene_str: z.string().optional(),
  // legacy profile fields (absent since 2021-12-27)
  nickname: z.string().optional(),
  sex: z.number().optional(),
  city: z.string().optional(),
  province: z.string().optional(),
  country: z.string().optional(),
  headimgurl: z.string().optional(),
});
export type UserInfo = z.infer<typeof userInfoSchema>;

export const userListSchema = z.looseObject({
  total: z.number(),
  count: z.number(),
  // WeChat omits `data` when count is 0.
  data: z.looseObject({ openid: z.array(z.string()) }).optional(),
  next_openid: z.string().optional(),
});
export type UserList = z.infer<typeof userListSchema>;

export const batchGetSchema = z.looseObject({ user_info_list: z.array(userInfoSchema) });
export type BatchGetResult = z.infer<typeof batchGetSchema>;

export const oauthTokenSchema = z.looseObject({
  access_token: z.string(),
  expires_in: z.number(),
  refresh_token: z.string(),
  openid: z.string(),
  scope: z.string(),
  unionid: z.string().optional(),
  is_snapshotuser: z.number().optional(),
});
export type OAuthToken = z.infer<typeof oauthTokenSchema>;

export const snsUserInfoSchema = z.looseObject({
  openid: z.string(),
  nickname: z.string().optional(),
  sex: z.number().optional(),
  province: z.string().optional(),
  city: z.string().optional(),
  country: z.string().optional(),
  headimgurl: z.string().optional(),
  privilege: z.array(z.string()).optional(),
  unionid: z.string().optional(),
});
export type SnsUserInfo = z.infer<typeof snsUserInfoSchema>;

export const okSchema = z.looseObject({ errcode: z.number(), errmsg: z.string() });
export type WeChatOk = z.infer<typeof okSchema>;

/** Parses a WeChat body; a shape WeChat would never send is an upstream-body error, not a crash. */
export function parseBody<T>(schema: z.ZodType<T>, path: string, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new WxhubError(
    'WXHUB_ERR_UPSTREAM_BODY',
    `${path}: ${issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : 'unexpected body'}`,
  );
}
