import type { Account, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { Database, IdentityRecord, UserRecord } from '../db/index.js';

/**
 * Claims by scope. `openid`, `unionid` and `is_follower` come with `openid` itself: every client is
 * tied to one Official Account, and who the user is there is the point of logging in with WeChat.
 * `nickname` and `picture` need `profile` (and a `snsapi_userinfo` login to have been captured).
 */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'openid', 'unionid', 'is_follower'],
  profile: ['nickname', 'picture'],
} as const;

/** The claims of a user for a client tied to `appid` (and optionally a website app). */
export interface WeChatClaims {
  [claim: string]: string | boolean | undefined;
  sub: string;
  openid?: string;
  unionid?: string;
  is_follower: boolean;
  nickname?: string;
  picture?: string;
}

/**
 * The claims of user `userId` as seen by a client of `appid`: `openid` is the user's openid on
 * that Official Account (absent when they never logged in there, e.g. a desktop QR login of a
 * user not joined by unionid); `is_follower` is whether that openid follows it, by the last login
 * or follower event; the profile is the one captured most recently on the account or the website app.
 * The user's record instead of its id saves reading it again (`findAccount` has just read it).
 */
export async function claimsFor(
  database: Database,
  userOrId: string | UserRecord,
  accounts: { appid: string; websiteAppid?: string },
): Promise<WeChatClaims | null> {
  const user = typeof userOrId === 'string' ? await database.users.get(userOrId) : userOrId;
  if (!user) return null;
  const userId = user.id;
  const identities = await database.identities.listByUser(userId);
  const official = identities.find((i) => i.appid === accounts.appid);
  const profile = newestProfile(
    identities.filter((i) => i.appid === accounts.appid || i.appid === accounts.websiteAppid),
  );
  return {
    sub: userId,
    ...(official ? { openid: official.openid } : {}),
    ...(user.unionid !== null ? { unionid: user.unionid } : {}),
    is_follower: official ? await follows(database, official) : false,
    ...(profile?.nickname ? { nickname: profile.nickname } : {}),
    ...(profile?.headimgurl ? { picture: profile.headimgurl } : {}),
  };
}

/**
 * A row in the followers table (a sync or a follow event put it there) says yes; without one, the
 * follow state seen at the login counts unless a follower sync ran since and did not list them.
 */
async function follows(database: Database, identity: IdentityRecord): Promise<boolean> {
  if ((await database.followers.get(identity.appid, identity.openid)) !== null) return true;
  if (identity.subscribe !== 1) return false;
  const synced = await database.followers.lastSyncedAt(identity.appid);
  return synced === null || synced < identity.lastLoginAt;
}

function newestProfile(identities: readonly IdentityRecord[]): IdentityRecord | undefined {
  return identities
    .filter((i) => i.nickname !== null || i.headimgurl !== null)
    .sort((a, b) => b.lastLoginAt - a.lastLoginAt)[0];
}

/** The WeChat accounts of the client in `ctx` (its `appid` / `website_appid` metadata). */
export function clientAccounts(ctx: KoaContextWithOIDC): { appid: string; websiteAppid?: string } | null {
  const client = ctx.oidc.client as unknown as { appid?: string; website_appid?: string } | undefined;
  if (!client?.appid) return null;
  return { appid: client.appid, ...(client.website_appid ? { websiteAppid: client.website_appid } : {}) };
}

/** oidc-provider's `findAccount`: the wxhub user, with claims for the client asking. */
export function findAccount(database: Database): FindAccount {
  return async (ctx, sub): Promise<Account | undefined> => {
    const user = await database.users.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        const accounts = clientAccounts(ctx);
        const claims = accounts ? await claimsFor(database, user, accounts) : null;
        return claims ?? { sub };
      },
    };
  };
}
