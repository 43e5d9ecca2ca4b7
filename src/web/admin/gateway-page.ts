import type { DeadLetter } from '../../gateway/log/event-log.js';
import type { ListedSubscriber } from '../../hub/gateway/subscriber-sync.js';
import type { GatewaySnapshot } from '../../hub/metrics/gateway-metrics.js';
import { formatTime } from '../html/format.js';
import { html, type SafeHtml } from '../html/html.js';
import { bi, biText, page } from '../html/layout.js';
import { type AdminLinks, BRAND, footer, nav, stat } from './admin-pages.js';
import type { AdminSession } from './admin-session.js';

/** What the gateway page shows; read by the route from the hub's services. */
export interface GatewayView {
  readonly snapshot: GatewaySnapshot;
  readonly subscribers: readonly ListedSubscriber[];
  /** Per subscriber; a string when the store could not be read. */
  readonly backlog: Readonly<Record<string, number>> | string;
  readonly deadLetters: Readonly<Record<string, readonly DeadLetter[]>>;
  /** The outcome of a replay just made, shown once. */
  readonly flash?: string;
}

/** Dead letters shown per subscriber. */
export const LETTERS_SHOWN = 20;

const ms = (value: number | null) => (value === null ? '—' : `${value.toFixed(1)} ms`);

function subscriberRow(subscriber: ListedSubscriber, view: GatewayView, session: AdminSession): SafeHtml {
  const stats = view.snapshot.consumers[subscriber.name];
  const backlog = typeof view.backlog === 'string' ? '—' : String(view.backlog[subscriber.name] ?? 0);
  const letters = view.deadLetters[subscriber.name] ?? [];
  const replay =
    letters.length > 0
      ? html`<form method="post" action="/admin/gateway/replay" class="inline"><input type="hidden" name="_csrf" value="${session.csrf}"><input type="hidden" name="consumer" value="${subscriber.name}"><button class="btn small primary" type="submit" data-replay="${subscriber.name}">${bi('重新投递', 'Replay')}</button></form>`
      : '';
  return html`<tr data-subscriber="${subscriber.name}"><td>${subscriber.name}<div class="muted">${subscriber.kind} · ${subscriber.source}</div></td><td class="mono hide-sm">${subscriber.target}</td><td data-col="backlog">${backlog}</td><td data-col="delivered">${String(stats?.delivered ?? 0)}</td><td data-col="dead">${String(letters.length)} ${replay}</td><td data-col="last-error">${
    stats?.lastError
      ? html`${stats.lastError.message}<div class="muted">${formatTime(stats.lastError.at)}</div>`
      : '—'
  }</td></tr>`;
}

function lettersSection(view: GatewayView): SafeHtml {
  const rows = Object.entries(view.deadLetters).flatMap(([consumer, letters]) =>
    letters.map(
      (l) =>
        html`<tr><td>${consumer}</td><td class="mono">${l.event.id}</td><td>${l.event.msg_type}${l.event.event ? html` · ${l.event.event}` : ''}</td><td class="mono hide-sm">${l.event.openid}</td><td>${formatTime(l.at)}</td><td>${l.error}</td></tr>`,
    ),
  );
  if (rows.length === 0)
    return html`<p class="muted" id="no-dead-letters">${bi('没有死信。', 'No dead letters.')}</p>`;
  return html`<div class="table-wrap"><table id="dead-letters"><thead><tr><th>${bi('订阅者', 'Subscriber')}</th><th>${bi('事件', 'Event')}</th><th>${bi('类型', 'Type')}</th><th class="hide-sm">openid</th><th>${bi('时间', 'At')}</th><th>${bi('错误', 'Error')}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** `/admin/gateway`: the callback gateway of this hub. */
export function gatewayPage(input: { view: GatewayView; session: AdminSession; links: AdminLinks }): string {
  const { view, session } = input;
  const { snapshot } = view;
  const body = html`<h1>${bi('消息推送网关', 'Callback gateway')}</h1>
${view.flash ? html`<p class="flash" id="gateway-flash">${view.flash}</p>` : ''}
<section class="card">
<div class="stats">
${stat(bi('每分钟推送', 'Pushes / minute'), String(snapshot.pushesLastMinute), bi(`共 ${snapshot.pushes}`, `${snapshot.pushes} in all`), 'pushes-per-minute')}
${stat(bi('重复推送', 'Dedup hits'), String(snapshot.duplicates), bi('微信重试', "WeChat's retries"), 'duplicates')}
${stat(bi('应答延迟', 'Ack latency'), ms(snapshot.ackP50Ms), html`p99 ${ms(snapshot.ackP99Ms)}`, 'ack-latency')}
${stat(bi('拒绝', 'Refused'), String(snapshot.refused), bi('签名或格式错误', 'bad signature or XML'), 'refused')}
</div>
<p class="muted">${bi('数字来自本 hub 进程；全局见', 'Numbers of this hub process; fleet-wide at')} <a href="/metrics">/metrics</a>.</p>
</section>
<section class="card" id="subscribers">
<h2>${bi('订阅者', 'Subscribers')}</h2>
${typeof view.backlog === 'string' ? html`<p class="flash error">${bi('读取积压失败', 'Could not read the backlog')}: ${view.backlog}</p>` : ''}
<div class="table-wrap"><table id="subscribers-table"><thead><tr><th>${bi('名称', 'Name')}</th><th class="hide-sm">${bi('目标', 'Target')}</th><th>${bi('积压', 'Backlog')}</th><th>${bi('已投递', 'Delivered')}</th><th>${bi('死信', 'Dead letters')}</th><th>${bi('最近错误', 'Last error')}</th></tr></thead><tbody>
${view.subscribers.map((s) => subscriberRow(s, view, session))}
</tbody></table></div>
${view.subscribers.length === 0 ? html`<p class="muted">${bi('没有订阅者：在配置或 /v1/admin/subscribers 中添加。', 'No subscribers: add them in the configuration or through /v1/admin/subscribers.')}</p>` : ''}
</section>
<section class="card">
<h2>${bi('死信', 'Dead letters')}</h2>
${lettersSection(view)}
</section>`;
  return page({
    title: biText('消息推送 · 运营后台', 'Gateway · Operator dashboard'),
    brand: BRAND,
    brandHref: '/admin',
    nav: nav(session, input.links),
    body,
    footer: footer(input.links),
  });
}
