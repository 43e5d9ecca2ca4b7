import type { OAuthContext } from '../oauth/oauth-context.js';
import type { Logger } from '../util/logger.js';

/**
 * Binds the user who scanned a follow-to-log-in QR code: their identity on the account (marked
 * following, web tokens and profile untouched), or a new one at their first login. Resolves the wxhub user id.
 */
export async function bindFollowLogin(
  login: OAuthContext,
  scanned: { appid: string; openid: string },
  log: Logger,
): Promise<string> {
  const { appid, openid } = scanned;
  const { database } = login;
  const known = await database.identities.get(appid, openid);
  if (known) {
    // A returning user: keep the web tokens and profile their last web login captured.
    await database.identities.update(appid, openid, { subscribe: 1 });
    log.info({ appid, userId: known.userId, isNew: false }, 'follow login bound');
    return known.userId;
  }
  const info = await login
    .client(appid)
    .users.get(openid)
    .catch((err: unknown) => {
      log.warn(
        { appid, reason: err instanceof Error ? err.name : 'error' },
        '/cgi-bin/user/info failed at follow login',
      );
      return undefined;
    });
  const bound = await database.identities.bind({
    appid,
    openid,
    unionid: info?.unionid ?? null,
    scope: 'snsapi_base',
    // The scan's event (subscribe, or SCAN from a follower) is the proof: they follow now.
    subscribe: 1,
    sealedWebToken: null,
    webTokenExpiresAt: null,
    sealedRefreshToken: null,
    refreshTokenExpiresAt: null,
    at: login.clock.now(),
  });
  log.info({ appid, userId: bound.user.id, isNew: bound.isNew }, 'follow login bound');
  return bound.user.id;
}
