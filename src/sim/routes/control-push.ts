import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import { z } from 'zod';
import { accountOr404, userOr404 } from '../http/control-lookup.js';
import { controlError, parseBody } from '../http/control-reply.js';
import { deliverPush } from '../push/deliver.js';
import {
  type EventPush,
  eventFields,
  eventPushSchema,
  eventScene,
  messageFields,
  messagePushSchema,
} from '../push/push-messages.js';
import { type ServerConfig, serverConfigSchema, timeoutMsSchema } from '../push/server-config.js';
import { checkServerUrl } from '../push/url-check.js';
import { conversationOf, type FollowSource, type SimAccount, type SimUser } from '../state/account.js';
import { inboxKey } from '../state/inbox-waiters.js';
import type { QrCode } from '../state/qrcodes.js';
import type { SimState } from '../state/sim-state.js';

type UserParams = { Params: { appid: string; openid: string } };

const scanSchema = z
  .object({ openid: z.string().min(1).max(128), timeoutMs: timeoutMsSchema.optional() })
  .strict();

/** Longest inbox long poll, in seconds. */
const INBOX_MAX_WAIT = 30;

const inboxQuerySchema = z.object({
  after: z.coerce.number().int().min(0).optional(),
  wait: z.coerce.number().min(0).max(INBOX_MAX_WAIT).optional(),
});

/** How a follow through an event is reported by `/cgi-bin/user/info`: a QR scene, or a search. */
function followSource(eventKey: string | undefined): FollowSource {
  if (eventKey === undefined) return { scene: 'ADD_SCENE_SEARCH' };
  const scene = eventKey.slice('qrscene_'.length);
  return /^\d{1,10}$/.test(scene)
    ? { scene: 'ADD_SCENE_QR_CODE', qrScene: Number(scene) }
    : { scene: 'ADD_SCENE_QR_CODE', qrSceneStr: scene };
}

/**
 * Control plane, WeChat's pushes: `POST /__sim/accounts/:appid/server` (the URL check, then
 * saved), `POST …/users/:openid/messages` and `…/events` (pushes), `GET …/users/:openid/inbox`
 * and `POST /__sim/qrcodes/:ticket/scan`.
 */
export const controlPushRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  /** An Official Account, or undefined after answering 404 / 400 (website apps get no pushes). */
  function officialOr4xx(appid: string, reply: FastifyReply): SimAccount | undefined {
    const account = accountOr404(sim, appid, reply);
    if (account && account.settings.kind === 'website') {
      controlError(
        reply,
        400,
        'invalid_request',
        `${appid} is a website app: only Official Accounts get pushes`,
      );
      return undefined;
    }
    return account;
  }

  /** The account's saved server, or undefined after answering 409. */
  function serverOr409(account: SimAccount, reply: FastifyReply): ServerConfig | undefined {
    if (!account.server) {
      controlError(
        reply,
        409,
        'no_server',
        `${account.appid} has no server URL: configure it with POST /__sim/accounts/${account.appid}/server`,
      );
    }
    return account.server;
  }

  /** The pushing user, or undefined after answering; only followers talk to an account. */
  function pushTarget(
    params: UserParams['Params'],
    reply: FastifyReply,
  ): { account: SimAccount; server: ServerConfig; user: SimUser } | undefined {
    const account = officialOr4xx(params.appid, reply);
    const user = account && userOr404(account, params.openid, reply);
    const server = account && user && serverOr409(account, reply);
    return account && user && server ? { account, user, server } : undefined;
  }

  function notFollowing(reply: FastifyReply, user: SimUser, what: string): FastifyReply {
    return controlError(reply, 409, 'not_following', `${user.openid} does not follow the account: ${what}`);
  }

  async function pushEvent(
    account: SimAccount,
    server: ServerConfig,
    user: SimUser,
    input: EventPush,
    reply: FastifyReply,
    source: FollowSource = followSource(input.eventKey),
  ): Promise<FastifyReply> {
    const now = sim.now();
    if (input.event === 'subscribe') account.follow(user, source, now);
    if (input.event === 'unsubscribe') account.unfollow(user);
    const scene = eventScene(input.event);
    if (scene) conversationOf(user).interact(scene, now);
    const createTime = input.createTime ?? Math.floor(now / 1000);
    const header = { originalId: account.settings.originalId, openid: user.openid, createTime };
    const outcome = await deliverPush(
      sim,
      account,
      server,
      user,
      eventFields(input, header),
      input.timeoutMs,
    );
    return reply.send({ event: input.event, createTime, ...outcome });
  }

  app.post<{ Params: { appid: string } }>('/accounts/:appid/server', async (request, reply) => {
    const account = officialOr4xx(request.params.appid, reply);
    if (!account) return reply;
    const input = parseBody(serverConfigSchema, request, reply);
    if (!input) return reply;
    const check = await checkServerUrl(sim, input);
    if (!check.ok) return controlError(reply, 400, 'url_check_failed', check.reason);
    account.server = input;
    return reply.send({ appid: account.appid, url: input.url, mode: input.mode, urlCheck: { ms: check.ms } });
  });

  app.post<UserParams>('/accounts/:appid/users/:openid/messages', async (request, reply) => {
    const target = pushTarget(request.params, reply);
    if (!target) return reply;
    const input = parseBody(messagePushSchema, request, reply);
    if (!input) return reply;
    const { account, server, user } = target;
    if (user.subscribe === 0) return notFollowing(reply, user, 'only followers send messages');
    const now = sim.now();
    conversationOf(user).interact('message', now);
    const createTime = input.createTime ?? Math.floor(now / 1000);
    const header = { originalId: account.settings.originalId, openid: user.openid, createTime };
    const { fields, msgId } = messageFields(input, header);
    const outcome = await deliverPush(sim, account, server, user, fields, input.timeoutMs);
    return reply.send({ msgId, createTime, ...outcome });
  });

  app.post<UserParams>('/accounts/:appid/users/:openid/events', async (request, reply) => {
    const target = pushTarget(request.params, reply);
    if (!target) return reply;
    const input = parseBody(eventPushSchema, request, reply);
    if (!input) return reply;
    const { user } = target;
    if (input.event === 'subscribe' && user.subscribe === 1) {
      return controlError(reply, 409, 'already_following', `${user.openid} already follows the account`);
    }
    if (input.event !== 'subscribe' && user.subscribe === 0) {
      return notFollowing(reply, user, `WeChat pushes ${input.event} only for followers`);
    }
    return pushEvent(target.account, target.server, user, input, reply);
  });

  app.get<UserParams>('/accounts/:appid/users/:openid/inbox', async (request, reply) => {
    const account = accountOr404(sim, request.params.appid, reply);
    const user = account && userOr404(account, request.params.openid, reply);
    if (!account || !user) return reply;
    const query = inboxQuerySchema.safeParse(request.query);
    if (!query.success) {
      return controlError(reply, 400, 'invalid_request', 'after: a sequence number ≥ 0; wait: 0–30 seconds');
    }
    const after = query.data.after ?? 0;
    const wait = query.data.wait ?? 0;
    if (wait > 0 && conversationOf(user).inboxAfter(after).length === 0) {
      await sim.inboxWaiters.wait(inboxKey(account.appid, user.openid), wait * 1000);
    }
    const conversation = conversationOf(user);
    return reply.send({
      openid: user.openid,
      typing: conversation.isTyping(sim.now()),
      messages: conversation.inboxAfter(after),
    });
  });

  app.post<{ Params: { ticket: string } }>('/qrcodes/:ticket/scan', async (request, reply) => {
    const input = parseBody(scanSchema, request, reply);
    if (!input) return reply;
    const code: QrCode | undefined = sim.qrcodes.get(request.params.ticket);
    if (!code) return controlError(reply, 404, 'not_found', 'no QR code with that ticket');
    if (code.expiresAt <= sim.now()) {
      return controlError(
        reply,
        410,
        'expired',
        `the QR code expired at ${new Date(code.expiresAt).toISOString()}`,
      );
    }
    const target = pushTarget({ appid: code.appid, openid: input.openid }, reply);
    if (!target) return reply;
    const scene = String(code.scene);
    const event: EventPush =
      target.user.subscribe === 1
        ? { event: 'SCAN', eventKey: scene, ticket: code.ticket, timeoutMs: input.timeoutMs }
        : {
            event: 'subscribe',
            eventKey: `qrscene_${scene}`,
            ticket: code.ticket,
            timeoutMs: input.timeoutMs,
          };
    const source: FollowSource =
      typeof code.scene === 'number'
        ? { scene: 'ADD_SCENE_QR_CODE', qrScene: code.scene }
        : { scene: 'ADD_SCENE_QR_CODE', qrSceneStr: code.scene };
    return pushEvent(target.account, target.server, target.user, event, reply, source);
  });

  done();
};
