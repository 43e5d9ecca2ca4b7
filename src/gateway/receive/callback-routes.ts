import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { MAX_PUSH_BYTES } from '../xml/push-xml.js';
import type { CallbackQuery } from './callback-codec.js';
import { answerPush, type PushAnswer, type PushHooks, refusal } from './push-answer.js';
import type { PushReceiver } from './push-receiver.js';

export interface CallbackRoutesOptions extends PushHooks {
  readonly receiver: PushReceiver;
}

interface CallbackRequest {
  Params: { appid: string };
  Querystring: CallbackQuery;
}

/**
 * `GET|POST /callback/:appid`, the URL to paste into WeChat's console (§11). Answers are plain
 * text as WeChat expects: the echostr, `success`, or the reply XML. A refusal is the registry's
 * status with a one-line reason and nothing stored; a store that fails answers 503, so WeChat
 * tries again (up to three times) and the push is not lost on our side. The hub answers most
 * pushes before Fastify, with the same answerPush() (callback-lane.ts).
 */
export const callbackRoutes: FastifyPluginAsync<CallbackRoutesOptions> = async (app, options) => {
  const { receiver } = options;
  // Scoped to this plugin: WeChat posts text/xml (sometimes with no type at all).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_PUSH_BYTES }, (_request, body, done) =>
    done(null, body),
  );
  const send = (reply: FastifyReply, answer: PushAnswer) =>
    reply.code(answer.status).type(answer.type).send(answer.body);

  app.get<CallbackRequest>('/callback/:appid', async (request, reply) => {
    try {
      const echo = receiver.verifyUrl(request.params.appid, request.query);
      return reply.type('text/plain; charset=utf-8').send(echo);
    } catch (err) {
      return send(reply, refusal(options, request.params.appid, err, request.log));
    }
  });

  app.post<CallbackRequest>('/callback/:appid', async (request, reply) => {
    const started = performance.now();
    const body = typeof request.body === 'string' ? request.body : '';
    const push = { appid: request.params.appid, query: request.query, body, started };
    return send(reply, await answerPush(receiver, options, push, request.log));
  });
};
