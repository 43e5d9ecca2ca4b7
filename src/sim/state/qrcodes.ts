import { newQrTicket, newQrUrlId } from '../ids.js';
import { ExpiringMap } from './expiring-map.js';

/** `QR_SCENE`, `QR_STR_SCENE` (temporary); `QR_LIMIT_SCENE`, `QR_LIMIT_STR_SCENE` (permanent). */
export type QrAction = 'QR_SCENE' | 'QR_STR_SCENE' | 'QR_LIMIT_SCENE' | 'QR_LIMIT_STR_SCENE';

/** Longest life of a temporary code: 30 days. */
export const QR_MAX_EXPIRE_SECONDS = 2_592_000;
const DAY_MS = 86_400_000;

/** A parametric QR code. */
export interface QrCode {
  readonly ticket: string;
  readonly appid: string;
  readonly action: QrAction;
  /** `scene_id` (number actions) or `scene_str` (string actions). */
  readonly scene: number | string;
  /** `http://weixin.qq.com/q/…`: what the image encodes. */
  readonly url: string;
  /** Virtual epoch ms; Infinity for permanent codes. */
  readonly expiresAt: number;
}

export function isPermanent(action: QrAction): boolean {
  return action === 'QR_LIMIT_SCENE' || action === 'QR_LIMIT_STR_SCENE';
}

/**
 * Every QR code by ticket. A temporary code is new on each call; a permanent one is the same
 * ticket again for the same scene (so the 100,000 scenes bound them). Temporary codes are
 * forgotten a day after the longest life any can have, oldest first, with a hard cap.
 */
export class QrCodes {
  readonly #temporary = new ExpiringMap<QrCode>(QR_MAX_EXPIRE_SECONDS * 1000 + DAY_MS, 200_000);
  readonly #permanent = new Map<string, QrCode>();
  readonly #permanentByScene = new Map<string, QrCode>();

  create(
    appid: string,
    action: QrAction,
    scene: number | string,
    expireSeconds: number,
    now: number,
  ): QrCode {
    const sceneKey = `${appid}\n${typeof scene}\n${scene}`;
    if (isPermanent(action)) {
      const existing = this.#permanentByScene.get(sceneKey);
      if (existing) return existing;
    }
    const url = `http://weixin.qq.com/q/${newQrUrlId()}`;
    const permanent = isPermanent(action);
    const code: QrCode = {
      ticket: newQrTicket(url),
      appid,
      action,
      scene,
      url,
      expiresAt: permanent ? Number.POSITIVE_INFINITY : now + expireSeconds * 1000,
    };
    if (permanent) {
      this.#permanent.set(code.ticket, code);
      this.#permanentByScene.set(sceneKey, code);
    } else {
      this.#temporary.set(code.ticket, code, now);
    }
    return code;
  }

  get(ticket: string): QrCode | undefined {
    return this.#permanent.get(ticket) ?? this.#temporary.get(ticket);
  }

  clear(): void {
    this.#temporary.clear();
    this.#permanent.clear();
    this.#permanentByScene.clear();
  }
}
