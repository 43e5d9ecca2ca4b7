import { type PushEvent, toPushEvent } from '../../../src/gateway/receive/push-event.js';
import { parsePushXml } from '../../../src/gateway/xml/push-xml.js';
import { until } from '../../gateway/hub/gateway-hub.js';
import type { CookieJar } from '../support/oidc-fixture.js';

/**
 * The PushEvent the gateway hands its listeners for WeChat's push of a QR scan (§11, §12): the
 * XML parsed and turned into an event exactly as the gateway's receiver does.
 */
export function scanPush(input: {
  appid: string;
  openid: string;
  event: 'subscribe' | 'SCAN';
  eventKey: string;
  ticket?: string;
  createTime?: number;
}): PushEvent {
  const xml = `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[${input.openid}]]></FromUserName><CreateTime>${input.createTime ?? Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${input.event}]]></Event><EventKey><![CDATA[${input.eventKey}]]></EventKey><Ticket><![CDATA[${input.ticket ?? 'gQH'}]]></Ticket></xml>`;
  return toPushEvent(input.appid, parsePushXml(xml), xml);
}

/** The QR code's ticket a follow-to-log-in page shows (`data-ticket`, readable without script). */
export function followTicketOf(html: string): string {
  const match = /data-ticket="([^"]+)"/.exec(html);
  if (!match) throw new Error('no data-ticket on the page');
  return match[1]!.replace(/&amp;/g, '&');
}

/** Waits until the follow-to-log-in page at `pageUrl` says its scan arrived, as the page's own poll asks. */
export async function untilScanned(pageUrl: string, jar: CookieJar, what = 'the scan'): Promise<void> {
  await until(
    async () => {
      const res = await fetch(`${pageUrl}/status`, { headers: { cookie: jar.header() } });
      return ((await res.json()) as { status: string }).status === 'scanned';
    },
    5000,
    what,
  );
}
