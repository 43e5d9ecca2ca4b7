import { type PushEvent, toPushEvent } from '../../../src/gateway/receive/push-event.js';
import { parsePushXml } from '../../../src/gateway/xml/push-xml.js';

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
