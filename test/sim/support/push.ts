import { expect } from 'vitest';
import type { Receiver } from './receiver.js';
import { APPID, type TestSim } from './sim.js';

/** A valid Token and EncodingAESKey, as the MP console takes them. */
export const TOKEN = 'wxhubSimToken2026';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

export type Mode = 'plain' | 'compatible' | 'safe';

/** Saves the receiver as the account's server (the URL check passes), then forgets that GET. */
export async function configureServer(
  sim: TestSim,
  receiver: Receiver,
  mode: Mode = 'plain',
  extra: Record<string, unknown> = {},
  appid = APPID,
): Promise<void> {
  const res = await sim.post(`/__sim/accounts/${appid}/server`, {
    url: receiver.url,
    token: TOKEN,
    mode,
    ...(mode === 'plain' ? {} : { encodingAESKey: AES_KEY }),
    ...extra,
  });
  expect(res.statusCode, res.body).toBe(200);
  receiver.requests.length = 0;
}

/** The account's original id, as pushes carry it in ToUserName. */
export async function originalIdOf(sim: TestSim, appid = APPID): Promise<string> {
  const body = await sim.getJson(`/__sim/accounts/${appid}`);
  return body.originalId as string;
}

/** The POSTs the receiver got (pushes), in order. */
export function pushes(receiver: Receiver): Receiver['requests'] {
  return receiver.requests.filter((r) => r.method === 'POST');
}
