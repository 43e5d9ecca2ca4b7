import type { UserInfo } from '../client/schemas.js';
import type { Database, FollowerChange, FollowerState, IdentityRecord } from '../db/index.js';
import { isWeChatError, isWxhubError } from '../errors/index.js';
import type { Clock } from '../util/clock.js';
import { type Logger, silentLogger } from '../util/logger.js';

/** One person of an account as the `/v1` users API answers: times are epoch ms, null when unknown. */
export interface Person {
  readonly openid: string;
  readonly unionid: string | null;
  /** Follows the account, by the freshest thing the hub knows (0 when it knows nothing). */
  readonly subscribe: 0 | 1;
  /** When they followed, while following and known. */
  readonly subscribeTime: number | null;
  /** Captured at a snsapi_userinfo login: `/cgi-bin/user/info` no longer gives them. */
  readonly nickname: string | null;
  readonly headimgurl: string | null;
  /** When the hub learnt the follow state it answers (sync, push, login or lookup); null: never. */
  readonly updatedAt: number | null;
}

export interface PersonLookupOptions {
  readonly database: Pick<Database, 'followers' | 'identities'>;
  readonly clock: Clock;
  /** `/cgi-bin/user/info` through the token engine (`hub.services.login.client(appid).users`). */
  readonly userInfo: (appid: string, openid: string) => Promise<UserInfo>;
  readonly logger?: Logger;
}

/**
 * "Does this user follow us", answered from the hub's live follower state (syncs and pushes)
 * joined with the profile captured at login. An openid that logged in but that no sync or push
 * ever covered is asked of WeChat (`/cgi-bin/user/info`) once, and the answer kept as its
 * follower row: later questions, and concurrent ones, cost no call. An openid the hub has never
 * seen answers "not following" without a call: an identity known from a login is what makes an
 * upstream call worth spending (and keeps arbitrary strings from reaching WeChat).
 */
export class PersonLookup {
  readonly #options: PersonLookupOptions;
  readonly #log: Logger;
  readonly #asking = new Map<string, Promise<FollowerState | null>>();

  constructor(options: PersonLookupOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
  }

  /** The person `openid` of `appid`, as the hub knows them (never rejects for an unknown openid). */
  async person(appid: string, openid: string): Promise<Person> {
    const { database } = this.#options;
    const [identity, known] = await Promise.all([
      database.identities.get(appid, openid),
      database.followers.state(appid, openid),
    ]);
    const follower = known ?? (identity ? await this.#ask(appid, openid) : null);
    return personOf(openid, follower, identity);
  }

  /** `/cgi-bin/user/info` once per openid at a time; the answer kept. Null when WeChat failed. */
  #ask(appid: string, openid: string): Promise<FollowerState | null> {
    const key = `${appid}\n${openid}`;
    let asking = this.#asking.get(key);
    if (!asking) {
      asking = this.#askOnce(appid, openid).finally(() => this.#asking.delete(key));
      this.#asking.set(key, asking);
    }
    return asking;
  }

  async #askOnce(appid: string, openid: string): Promise<FollowerState | null> {
    const { database, clock, userInfo } = this.#options;
    let info: UserInfo;
    try {
      info = await userInfo(appid, openid);
    } catch (err) {
      this.#log.warn(
        {
          appid,
          errcode: isWeChatError(err) ? err.errcode : undefined,
          code: isWxhubError(err) ? err.code : undefined,
        },
        '/cgi-bin/user/info failed: answering the follow state captured at login',
      );
      return null;
    }
    await database.followers.apply(infoChange(appid, openid, info, clock.now()));
    return database.followers.state(appid, openid);
  }
}

/** What `/cgi-bin/user/info` said, as a follower change written only if nothing newer is known. */
export function infoChange(appid: string, openid: string, info: UserInfo, now: number): FollowerChange {
  const following = info.subscribe === 1;
  const qr = info.qr_scene_str || (info.qr_scene ? String(info.qr_scene) : null);
  return {
    appid,
    openid,
    subscribe: following ? 1 : 0,
    eventTime: null,
    at: now,
    unionid: info.unionid && info.unionid.length <= 128 ? info.unionid : null,
    ...(following && {
      follow: {
        time: Number.isSafeInteger(info.subscribe_time) ? (info.subscribe_time as number) * 1000 : null,
        scene: info.subscribe_scene && info.subscribe_scene.length <= 64 ? info.subscribe_scene : null,
        qrScene: qr && qr.length <= 64 ? qr : null,
      },
    }),
  };
}

/**
 * The answer from a follower row and a login identity: the follow state the hub learnt last (a
 * sync or push writes the row; a login asks `/cgi-bin/user/info` too and pushes update the
 * identity), the profile from the identity.
 */
export function personOf(
  openid: string,
  follower: FollowerState | null,
  identity: IdentityRecord | null,
): Person {
  const rowAt = follower ? Math.max(follower.syncedAt, follower.eventAt ?? 0) : null;
  const loginNewer = identity !== null && (rowAt === null || identity.lastLoginAt > rowAt);
  const subscribe = loginNewer ? identity.subscribe : (follower?.subscribe ?? 0);
  return {
    openid,
    unionid: follower?.unionid ?? identity?.unionid ?? null,
    subscribe,
    subscribeTime: subscribe === 1 && follower?.subscribe === 1 ? follower.subscribeTime : null,
    nickname: identity?.nickname ?? null,
    headimgurl: identity?.headimgurl ?? null,
    updatedAt: loginNewer ? identity.lastLoginAt : rowAt,
  };
}
