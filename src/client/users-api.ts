import { invalidArgument, requireString } from '../util/args.js';
import { PATHS } from '../wechat/paths.js';
import {
  type BatchGetResult,
  batchGetSchema,
  parseBody,
  type UserInfo,
  type UserList,
  userInfoSchema,
  userListSchema,
} from './schemas.js';
import type { ApiCall } from './wechat-client.js';

export type Lang = 'zh_CN' | 'zh_TW' | 'en';

/** WeChat accepts at most this many openids per batchget. */
const BATCH_SIZE = 100;
/** Batches in flight at once: quick, without hammering the per-minute limit. */
const BATCH_CONCURRENCY = 4;

/** Followers: user info (UnionID mechanism), the follower list, batch info. */
export class UsersApi {
  constructor(private readonly call: ApiCall) {}

  /**
   * One user's info by openid (`subscribe`, `unionid` when bound, and legacy profile fields on old
   * accounts). @see https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
   */
  async get(openid: string, lang?: Lang): Promise<UserInfo> {
    requireString('openid', openid);
    const body = await this.call('GET', PATHS.userInfo, { query: { openid, lang } });
    return parseBody(userInfoSchema, PATHS.userInfo, body);
  }

  /**
   * One page (up to 10,000) of follower openids after `nextOpenid`.
   * @see https://developers.weixin.qq.com/doc/offiaccount/User_Management/Getting_a_User_List.html
   */
  async list(nextOpenid?: string): Promise<UserList> {
    const body = await this.call('GET', PATHS.userList, { query: { next_openid: nextOpenid || undefined } });
    return parseBody(userListSchema, PATHS.userList, body);
  }

  /** Every follower openid, page by page; stops without the extra empty call when it can. */
  async *all(): AsyncGenerator<string, void, undefined> {
    let next: string | undefined;
    let seen = 0;
    for (;;) {
      const page = await this.list(next);
      const openids = page.data?.openid ?? [];
      yield* openids;
      seen += openids.length;
      if (page.count === 0 || openids.length === 0 || !page.next_openid || seen >= page.total) return;
      next = page.next_openid;
    }
  }

  /**
   * Info for many users, in chunks of 100, answered in the order asked.
   * @see https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
   */
  async batchGet(openids: readonly string[], lang?: Lang): Promise<BatchGetResult> {
    if (!Array.isArray(openids)) throw invalidArgument('openids must be an array of strings');
    const chunks: string[][] = [];
    for (let i = 0; i < openids.length; i += BATCH_SIZE) chunks.push(openids.slice(i, i + BATCH_SIZE));
    const results: UserInfo[][] = new Array(chunks.length);
    let nextChunk = 0;
    const worker = async () => {
      for (let i = nextChunk++; i < chunks.length; i = nextChunk++) {
        const user_list = (chunks[i] ?? []).map((openid) => (lang ? { openid, lang } : { openid }));
        const body = await this.call('POST', PATHS.userBatchGet, { body: { user_list } });
        results[i] = parseBody(batchGetSchema, PATHS.userBatchGet, body).user_info_list;
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, chunks.length) }, worker));
    return { user_info_list: results.flat() };
  }
}
