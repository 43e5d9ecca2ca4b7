import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isWxhubError } from '../../errors/index.js';
import { MAX_PUSH_BYTES } from '../xml/push-xml.js';
import type { CallbackQuery } from './callback-codec.js';
import type { PushReceiver, Received } from './push-receiver.js';

export interface CallbackRoutesOptions {
  readonly receiver: PushReceiver;
  /** Told of each push answered (metrics, the dashboard's live view). */
  readonly onReceived?: (received: Received, ackMs: number) => void;
  /** Told of each refused push, with its registry code. */
  readonly onRefused?: (appid: string, code: string) => void;
}

interface CallbackRequest {
  Params: { appid: string };
  Querystring: CallbackQuery;
}

/**
 * `GET|POST /callback/:appid`, the URL to paste into WeChat's console (§11). Answers are plain
 * text as WeChat expects: the echostr, `success`, or the reply XML. A refusal is the registry's
 * status with a one-line reason and nothing stored; a store that fails answers 503, so WeChat
 * tries again (up to three times) and the push is not lost on our side.
 */
export const callbackRoutes: FastifyPluginAsync<CallbackRoutesOptions> = async (app, options) => {
  const { receiver } = options;
  // Scoped to this plugin: WeChat posts text/xml (sometimes with no type at all).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_PUSH_BYTES }, (_request, body, done) =>
    done(null, body),
  );

  const refuse = (request: FastifyRequest<CallbackRequest>, reply: FastifyReply, err: unknown) => {
    if (!isWxhubError(err)) throw err;
    options.onRefused?.(request.params.appid, err.code);
    request.log.warn({ appid: request.params.appid.slice(0, 64), code: err.code }, 'push refused');
    return reply.code(err.statusCode).type('text/plain; charset=utf-8').send(`${err.code}\n`);
  };

  app.get<CallbackRequest>('/callback/:appid', async (request, reply) => {
    try {
      const echo = receiver.verifyUrl(request.params.appid, request.query);
      return reply.type('text/plain; charset=utf-8').send(echo);
    } catch (err) {
      return refuse(request, reply, err);
    }
  });

  app.post<CallbackRequest>('/callback/:appid', async (request, reply) => {
    const started = performance.now();
    try {
      const body = typeof request.body === 'string' ? request.body : '';
      const received = await receiver.receive(request.params.appid, request.query, body);
      options.onReceived?.(received, performance.now() - started);
      const type = received.body.startsWith('<')
        ? 'application/xml; charset=utf-8'
        : 'text/plain; charset=utf-8';
      return reply.type(type).send(received.body);
    } catch (err) {
      return refuse(request, reply, err);
    }
  });
};
