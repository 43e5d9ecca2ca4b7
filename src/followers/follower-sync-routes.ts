import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { parseWith } from '../hub/http/parse-body.js';
import { requireKey } from '../hub/http/v1-auth.js';
import type { FollowerSync, FollowerSyncStatus, SyncOutcome } from './follower-sync.js';

interface AppidParams {
  appid: string;
}

const syncQuery = z.object({
  wait: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(0, 'must be 0 to 60')
    .max(60, 'must be 0 to 60')
    .default(0),
});

const seconds = (ms: number) => Math.floor(ms / 1000);

/** An outcome in the `/v1` shape: snake_case, epoch seconds. */
function outcomeBody(outcome: SyncOutcome): Record<string, unknown> {
  const times = {
    trigger: outcome.trigger,
    started_at: seconds(outcome.startedAt),
    finished_at: seconds(outcome.finishedAt),
  };
  if (outcome.ok) {
    return { ok: true, ...times, total: outcome.total, synced: outcome.synced, removed: outcome.removed };
  }
  return {
    ok: false,
    ...times,
    ...(outcome.errcode !== undefined ? { errcode: outcome.errcode } : {}),
    ...(outcome.code !== undefined ? { code: outcome.code } : {}),
    errmsg: outcome.message,
    ...(outcome.busy ? { busy: true } : {}),
  };
}

/** A status in the `/v1` shape (see docs/hub-api.md). */
function statusBody(status: FollowerSyncStatus): Record<string, unknown> {
  return {
    appid: status.appid,
    running: status.running !== null,
    ...(status.running
      ? { started_at: seconds(status.running.startedAt), trigger: status.running.trigger }
      : {}),
    last: status.last ? outcomeBody(status.last) : null,
    last_synced_at: status.lastSyncedAt === null ? null : seconds(status.lastSyncedAt),
    interval_seconds: status.intervalSeconds,
    user_get_today: status.userGetToday,
    user_get_daily_limit: status.userGetDailyLimit,
  };
}

/**
 * `/v1/admin/accounts/:appid/followers/sync` (scope `admin`): `POST` starts a follower sync (or
 * joins the one running) and answers at once with 202, or with 200 once it ended when it ends
 * within `?wait=SECONDS` (at most 60); `GET` answers the sync's status. A sync's failure is in
 * the body (`last.errcode`, WeChat's), not the HTTP status: the request itself succeeded.
 */
export const followerSyncRoutes: FastifyPluginAsync<{ sync: FollowerSync }> = async (app, { sync }) => {
  const path = '/v1/admin/accounts/:appid/followers/sync';

  app.post<{ Params: AppidParams }>(path, { onRequest: requireKey('admin') }, async (request, reply) => {
    const { wait } = parseWith(syncQuery, request.query, 'query');
    const status = await sync.begin(request.params.appid, wait * 1000);
    return reply.code(status.running ? 202 : 200).send(statusBody(status));
  });

  app.get<{ Params: AppidParams }>(path, { onRequest: requireKey('admin') }, async (request) =>
    statusBody(await sync.status(request.params.appid)),
  );
};
