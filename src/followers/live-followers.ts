import type { Database, FollowerChange } from '../db/index.js';
import { isWxhubError } from '../errors/index.js';
import { type PushEvent, qrScene } from '../gateway/receive/push-event.js';
import type { Clock } from '../util/clock.js';
import { type Logger, silentLogger } from '../util/logger.js';

/**
 * What `LiveFollowers.apply` did with a push: `applied` (the follow state changed or was
 * confirmed), `stale` (an older push than one already applied), `ignored` (not a follow event),
 * `failed` (the database refused; logged, and the next sync reconciles).
 */
export type LiveOutcome = 'applied' | 'stale' | 'ignored' | 'failed';

/** WeChat's `subscribe_scene` for a follow through a QR code with a parameter. */
const QR_SCENE = 'ADD_SCENE_QR_CODE';

/**
 * Follower state kept live from the callback gateway's pushes, so "does this user follow us"
 * (the `/v1` users API, the dashboard, the login) is answered at once rather than at the next
 * sync:
 * - `subscribe`: following since its `CreateTime`; `EventKey` `qrscene_X` records scene `X`
 *   (and `subscribe_scene` `ADD_SCENE_QR_CODE`), no `EventKey` clears the previous follow's scene;
 * - `unsubscribe`: not following (the row is kept: the answer is 0, not "unknown");
 * - `SCAN`: only a follower can send it, so following (a row the hub never had is created; the
 *   follow time and scene stay what they were).
 * Pushes are ordered by `CreateTime`: one older than a push already applied changes nothing (a
 * fleet may apply them out of order). An identity captured at login has its `subscribe` updated
 * too. The periodic sync reconciles what pushes missed, and never undoes a push applied after it
 * began (`FollowerTable.upsert`, `removeStale`).
 * @see https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
 */
export class LiveFollowers {
  readonly #database: Pick<Database, 'followers' | 'identities'>;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(
    database: Pick<Database, 'followers' | 'identities'>,
    clock: Clock,
    logger: Logger = silentLogger,
  ) {
    this.#database = database;
    this.#clock = clock;
    this.#log = logger;
  }

  /** Applies one push; never rejects (a gateway listener must not fail the push's answer). */
  async apply(event: PushEvent): Promise<LiveOutcome> {
    const change = followerChange(event, this.#clock.now());
    if (!change) return 'ignored';
    try {
      if (!(await this.#database.followers.apply(change))) return 'stale';
      await this.#database.identities.update(change.appid, change.openid, { subscribe: change.subscribe });
      return 'applied';
    } catch (err) {
      this.#log.warn(
        {
          appid: event.appid,
          event: event.event,
          id: event.id,
          code: isWxhubError(err) ? err.code : undefined,
          err: err instanceof Error ? err.message : String(err),
        },
        'live follower state not written: the next follower sync reconciles it',
      );
      return 'failed';
    }
  }
}

/**
 * The follower change a push stands for, or null when it is not a follow event (or carries an
 * openid or time no follower row can hold).
 */
export function followerChange(event: PushEvent, now: number): FollowerChange | null {
  if (event.type !== 'event') return null;
  const kind = event.event;
  if (kind !== 'subscribe' && kind !== 'unsubscribe' && kind !== 'SCAN') return null;
  if (!event.openid || event.openid.length > 128 || !Number.isSafeInteger(event.create_time * 1000))
    return null;
  const base = { appid: event.appid, openid: event.openid, eventTime: event.create_time * 1000, at: now };
  if (kind === 'unsubscribe') return { ...base, subscribe: 0 };
  if (kind === 'SCAN') return { ...base, subscribe: 1 };
  const scene = qrScene(event);
  const qr = scene === undefined || scene.length > 64 ? null : scene;
  return {
    ...base,
    subscribe: 1,
    follow: { time: base.eventTime, scene: qr === null ? null : QR_SCENE, qrScene: qr },
  };
}
