import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppidParams, errorResponses, jsonResponse, type KeyGate } from '../server/index.js';
import type { FollowerSync, FollowerSyncStatus, SyncOutcome } from './follower-sync.js';

const syncQuery = z.object({
  wait: z.coerce
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(0, 'must be 0 to 60')
    .max(60, 'must be 0 to 60')
    .default(0)
    .meta({ description: 'Seconds to wait for the sync to end before answering 202.' }),
});

const SyncOutcomeBody = z
  .object({
    ok: z.boolean(),
    trigger: z.enum(['schedule', 'manual']),
    started_at: z.number().int(),
    finished_at: z.number().int(),
    total: z.number().int().optional(),
    synced: z.number().int().optional(),
    removed: z.number().int().optional(),
    errcode: z.number().int().optional().meta({ description: "WeChat's errcode, e.g. 45009 or 40164." }),
    code: z.string().optional(),
    errmsg: z.string().optional(),
    busy: z.boolean().optional(),
  })
  .meta({ id: 'FollowerSyncOutcome' });

const FollowerSyncStatusBody = z
  .object({
    appid: z.string(),
    running: z.boolean(),
    started_at: z.number().int().optional(),
    trigger: z.enum(['schedule', 'manual']).optional(),
    last: SyncOutcomeBody.nullable(),
    last_synced_at: z.number().int().nullable(),
    interval_seconds: z.number().int(),
    user_get_today: z.number().int(),
    user_get_daily_limit: z.number().int(),
  })
  .meta({ id: 'FollowerSyncStatus' });

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
export const followerSyncRoutes: FastifyPluginAsync<{ sync: FollowerSync; gate: KeyGate }> = async (
  plain,
  { sync, gate },
) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const path = '/v1/admin/accounts/:appid/followers/sync';
  const errors = errorResponses([400, 401, 403, 404, 429]);

  app.post(
    path,
    {
      onRequest: gate('admin'),
      schema: {
        operationId: 'syncFollowers',
        tags: ['v1'],
        summary: "Sync an account's followers now (scope `admin`)",
        params: AppidParams,
        querystring: syncQuery,
        response: {
          200: jsonResponse('The sync ended (ok or not: see `last`)', FollowerSyncStatusBody),
          202: jsonResponse('The sync is still running', FollowerSyncStatusBody),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const status = await sync.begin(request.params.appid, request.query.wait * 1000);
      return reply.code(status.running ? 202 : 200).send(statusBody(status) as never);
    },
  );

  app.get(
    path,
    {
      onRequest: gate('admin'),
      schema: {
        operationId: 'followerSyncStatus',
        tags: ['v1'],
        summary: "The follower sync's status (scope `admin`)",
        params: AppidParams,
        response: { 200: jsonResponse('The status', FollowerSyncStatusBody), ...errors },
      },
    },
    async (request) => statusBody(await sync.status(request.params.appid)) as never,
  );
};
