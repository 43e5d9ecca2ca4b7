import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FollowerView } from '../db/index.js';
import { AppidParams, errorResponses, jsonResponse } from '../server/index.js';
import { decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from './follower-cursor.js';
import { type Person, PersonLookup } from './person-lookup.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

const ListQuery = z.object({
  cursor: z
    .string({ error: 'must be a next_cursor this API answered' })
    .max(MAX_CURSOR_LENGTH, `must be at most ${MAX_CURSOR_LENGTH} characters`)
    .regex(/^[A-Za-z0-9_-]*$/, 'must be a next_cursor this API answered')
    .optional()
    .meta({
      description:
        'The `next_cursor` of the previous page; absent or empty for the first page (as `next_openid` of `/cgi-bin/user/get`).',
    }),
  limit: z.coerce
    .number({ error: 'must be a whole number 1 to 1000' })
    .int('must be a whole number 1 to 1000')
    .min(1, 'must be 1 to 1000')
    .max(1000, 'must be 1 to 1000')
    .default(100)
    .meta({ description: 'Followers per page.' }),
});

const OPENID = /^[A-Za-z0-9_-]{1,64}$/;

const UserParams = AppidParams.extend({
  openid: z
    .string()
    .regex(OPENID, 'must be an openid (1-64 characters of A-Z a-z 0-9 _ -)')
    .meta({ description: 'An openid of the account.', examples: ['oLVPpjqs9BhvzwPj5A-vTYAX3GLc'] }),
});

const unionid = z.string().optional().meta({ description: 'When the account is bound to an Open Platform.' });
const nickname = z.string().optional().meta({ description: 'Captured at a snsapi_userinfo login.' });
const headimgurl = z
  .string()
  .optional()
  .meta({ description: 'Avatar URL, captured at a snsapi_userinfo login.' });
const subscribeTime = z.number().int().optional().meta({ description: 'When they followed, epoch seconds.' });

const Follower = z
  .object({
    openid: z.string(),
    unionid,
    subscribe: z.literal(1),
    subscribe_time: subscribeTime,
    nickname,
    headimgurl,
  })
  .meta({ id: 'Follower' });

const FollowerList = z
  .object({
    followers: z.array(Follower),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the next page; null: the last.' }),
  })
  .meta({ id: 'FollowerList' });

const User = z
  .object({
    openid: z.string(),
    unionid,
    subscribe: z
      .literal([0, 1])
      .meta({ description: '1: follows the account now, as far as the hub knows.' }),
    subscribe_time: subscribeTime,
    nickname,
    headimgurl,
    updated_at: z.number().int().nullable().meta({
      description: 'When the hub learnt the follow state, epoch seconds; null: it never saw the openid.',
    }),
  })
  .meta({ id: 'User' });

const UNAVAILABLE = { 503: 'The database did not answer (`WXHUB_ERR_DATABASE_UNAVAILABLE`)' };

/** The optional fields of a follower or person: absent, not null, when unknown. */
function known(fields: {
  unionid: string | null;
  subscribeTime: number | null;
  nickname: string | null;
  headimgurl: string | null;
}) {
  return {
    ...(fields.unionid !== null && { unionid: fields.unionid }),
    ...(fields.subscribeTime !== null && { subscribe_time: seconds(fields.subscribeTime) }),
    ...(fields.nickname !== null && { nickname: fields.nickname }),
    ...(fields.headimgurl !== null && { headimgurl: fields.headimgurl }),
  };
}

function followerBody(f: FollowerView) {
  return { openid: f.openid, subscribe: 1 as const, ...known(f) };
}

function userBody(p: Person) {
  return {
    openid: p.openid,
    subscribe: p.subscribe,
    ...known(p),
    updated_at: p.updatedAt === null ? null : seconds(p.updatedAt),
  };
}

/**
 * `/v1/accounts/:appid/followers` and `/v1/accounts/:appid/users/:openid` (scope `users`): who
 * follows an account, with the avatars captured at login, and "does this user follow us",
 * answered from the live follower state (syncs and the gateway's pushes). The key is checked in
 * `onRequest`: a caller without one never reaches the database, let alone WeChat.
 */
export const peopleRoutes: FastifyPluginAsync = async (plain) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { database, clock, gate, login } = app.hub;
  const lookup = new PersonLookup({
    database,
    clock,
    userInfo: (appid, openid) => login.client(appid).users.get(openid),
    logger: app.log.child({ component: 'people' }),
  });

  app.get(
    '/v1/accounts/:appid/followers',
    {
      onRequest: gate('users'),
      schema: {
        operationId: 'listFollowers',
        tags: ['v1'],
        summary: 'The followers of an account, latest follow first, with captured profiles (scope `users`)',
        description:
          'Paged by an opaque cursor: a follower added while a client pages sorts first and never shifts a page; each follower appears once. `nickname` and `headimgurl` are those captured when the follower logged in with snsapi_userinfo.',
        params: AppidParams,
        querystring: ListQuery,
        response: {
          200: jsonResponse('A page of followers', FollowerList),
          ...errorResponses([400, 401, 403, 404, 429, 503], UNAVAILABLE),
        },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      const after = cursor ? decodeCursor(cursor) : null;
      const page = await database.followers.page(request.params.appid, { after, limit });
      return {
        followers: page.rows.map(followerBody),
        next_cursor: page.next === null ? null : encodeCursor(page.next),
      };
    },
  );

  app.get(
    '/v1/accounts/:appid/users/:openid',
    {
      onRequest: gate('users'),
      schema: {
        operationId: 'getUser',
        tags: ['v1'],
        summary: 'Does this user follow us: follow state and captured profile of one openid (scope `users`)',
        description:
          'Answered from the live follower state. An openid the hub never saw answers `subscribe: 0` and `updated_at: null`; one that logged in but no sync or push covered is asked of WeChat once and remembered.',
        params: UserParams,
        response: {
          200: jsonResponse('The user', User),
          ...errorResponses([400, 401, 403, 404, 429, 503], UNAVAILABLE),
        },
      },
    },
    async (request) => userBody(await lookup.person(request.params.appid, request.params.openid)),
  );
};
