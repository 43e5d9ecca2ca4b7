import type { FastifyPluginCallback } from 'fastify';
import { AVATAR_SIZES } from '../../wechat/avatar.js';
import { replyError } from '../http/wechat-reply.js';
import type { SimState } from '../state/sim-state.js';

const AVATAR_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SIZES: ReadonlySet<string> = new Set(AVATAR_SIZES.map(String));

/**
 * `GET /mmopen/:id/:size`: the generated avatars of users created without a headimgurl, like
 * thirdwx.qlogo.cn. Sizes 0 (640×640), 46, 64, 96, 132; deterministic per id; cached.
 */
export const avatarRoutes: FastifyPluginCallback<{ sim: SimState }> = (app, { sim }, done) => {
  app.get<{ Params: { id: string; size: string } }>('/mmopen/:id/:size', (request, reply) => {
    const { id, size } = request.params;
    if (!AVATAR_ID.test(id) || !SIZES.has(size)) {
      return replyError(sim, reply, 40066, { status: 404, record: false });
    }
    return reply
      .header('content-type', 'image/png')
      .header('cache-control', 'public, max-age=86400, immutable')
      .send(sim.avatars.get(id, Number(size)));
  });
  done();
};
