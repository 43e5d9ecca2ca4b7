import { createCoWechatAdapter } from './co-wechat-api.js';
import { createEasyWechatAdapter } from './node-easywechat.js';
import type { PeerAdapter, PeerSpec } from './types.js';
import { createWxhubAdapter } from './wxhub.js';

export * from './types.js';

/** The adapter for a spec's library. */
export function createAdapter(spec: PeerSpec): PeerAdapter {
  switch (spec.peer) {
    case 'wxhub':
      return createWxhubAdapter(spec);
    case 'co-wechat-api':
      return createCoWechatAdapter(spec);
    case 'node-easywechat':
      return createEasyWechatAdapter(spec);
  }
}
