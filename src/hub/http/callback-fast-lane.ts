import { CALLBACK_ROUTE, callbackLane } from '../../gateway/receive/callback-lane.js';
import type { CallbackRoutesOptions } from '../../gateway/receive/callback-routes.js';
import type { HubServices } from '../hub-services.js';
import { clientAddress } from './proxy-fast-lane.js';
import { type RequestLog, SLOW_REQUEST_MS } from './request-hooks.js';
import type { FastLane } from './token-fast-lane.js';

/** The options of `/callback/:appid` in the hub, for the Fastify route and the lane alike. */
export function callbackOptions(hub: HubServices): CallbackRoutesOptions {
  const { gateway, metrics } = hub;
  return gateway.gateway.routes({
    onReceived: (received, ackMs) => metrics.gateway.received(received, ackMs),
    onRefused: (_appid, code) => metrics.gateway.refused(code),
  });
}

/**
 * WeChat's pushes before Fastify (src/gateway/receive/callback-lane.ts), ending in the same
 * RequestLog as every other request: a quick 200 is a metric only, as on the token lane; a
 * refusal or a slow answer goes through finish() and gets its access line.
 */
export function callbackFastLane(hub: HubServices, requests: RequestLog, closing: () => boolean): FastLane {
  const record200 = requests.recorder(CALLBACK_ROUTE, 'POST', 200);
  return callbackLane({
    ...callbackOptions(hub),
    closing,
    log: requests.log,
    onAnswered: (req, statusCode, ms) => {
      if (statusCode === 200 && ms < SLOW_REQUEST_MS) return record200(ms / 1000);
      requests.finish(requests.log, {
        method: 'POST',
        url: req.url ?? '',
        route: CALLBACK_ROUTE,
        remoteAddress: clientAddress(req, hub.config.trustProxy),
        statusCode,
        keyId: null,
        ms,
      });
    },
  });
}
