import type { FollowerSyncStatus } from '../../followers/follower-sync.js';
import type { RefreshReason } from '../../tokens/index.js';
import { avatarUrl } from '../../wechat/avatar.js';
import { ERRCODES } from '../../wechat/errcodes.js';
import { upstreamChart } from '../activity/upstream-chart.js';
import { formatDuration, formatTime, formatTimeOfDay } from '../html/format.js';
import { html, type SafeHtml, safeUrl } from '../html/html.js';
import { accountLogo, bi, biText, page } from '../html/layout.js';
import type { AccountReport } from './account-report.js';
import type { AdminSession } from './admin-session.js';
import type { FollowerPage, FollowerRow } from './followers-source.js';

export const BRAND = bi('wxhub 运营后台', 'Operator dashboard');

export interface AdminLinks {
  /** The demo site runs on this origin (a link back to it). */
  readonly demoSite?: boolean;
  readonly simulatorUrl?: string;
  /** The hub has the callback gateway page. */
  readonly gateway?: boolean;
}

/** The dashboard's footer. */
export function footer(links: AdminLinks): SafeHtml {
  return html`<p>${bi('时间为北京时间（微信按北京时间计日配额）。', 'Times are Beijing time (WeChat counts daily quotas by the Beijing day).')}
${bi('活动数据为本进程最近的记录；全局指标见', 'Activity is this process’s recent record; fleet-wide numbers are at')} <a href="/metrics">/metrics</a>.
${links.simulatorUrl ? html` · <a href="${links.simulatorUrl}/__sim/stats">${bi('模拟器统计', 'Simulator stats')}</a>` : ''}</p>`;
}

/** The dashboard's navigation. */
export function nav(session: AdminSession | null, links: AdminLinks): SafeHtml {
  if (!session) return links.demoSite ? html`<a href="/">${bi('演示站', 'Demo site')}</a>` : html``;
  return html`<a href="/admin">${bi('概览', 'Overview')}</a>
${links.gateway ? html`<a href="/admin/gateway">${bi('消息推送', 'Gateway')}</a>` : ''}
${links.demoSite ? html`<a href="/">${bi('演示站', 'Demo site')}</a>` : ''}
<span class="muted">${bi('密钥', 'key')}: ${session.keyName}</span>
<form method="post" action="/admin/logout"><input type="hidden" name="_csrf" value="${session.csrf}"><button class="btn small" type="submit" id="admin-logout">${bi('退出', 'Log out')}</button></form>`;
}

const LOGIN_ERRORS = {
  wrong: ['密钥无效或已吊销。', 'That key is not valid or has been revoked.'],
  'not-admin': ['这个密钥没有 admin 权限。', 'That key does not have the admin scope.'],
  expired: ['会话已过期，请重新登录。', 'Your session expired: log in again.'],
  csrf: ['表单已过期，请重试。', 'The form expired: try again.'],
} as const;

export type LoginProblem = keyof typeof LOGIN_ERRORS;

/** The admin key form. */
export function adminLoginPage(input: { problem?: LoginProblem; links: AdminLinks }): string {
  const problem = input.problem ? LOGIN_ERRORS[input.problem] : undefined;
  const body = html`<h1>${bi('运营后台', 'Operator dashboard')}</h1>
${problem ? html`<p class="flash error" id="login-problem">${bi(problem[0], problem[1])}</p>` : ''}
<section class="card">
<form method="post" action="/admin/login" autocomplete="off">
<label class="field" for="key">${bi('管理员密钥', 'Admin key')}</label>
<input type="password" id="key" name="key" required autofocus placeholder="wxk_…" spellcheck="false">
<p class="muted" id="key-hint">${bi('具有 admin 权限的客户端密钥，会话 8 小时后失效。', 'A client key with the admin scope. Sessions last 8 hours.')}<br>
${bi('在 hub 所在的机器上创建', 'Create one where the hub runs')}: <span class="mono nowrap">wxhub keys create --name ops --scope admin</span></p>
<button class="btn primary" type="submit" id="admin-login">${bi('登录', 'Log in')}</button>
</form>
</section>`;
  return page({
    title: biText('登录运营后台', 'Dashboard login'),
    brand: BRAND,
    brandHref: '/admin',
    nav: nav(null, input.links),
    body,
    narrow: true,
    footer: footer(input.links),
  });
}

/** One figure of a stats row. */
export function stat(
  label: SafeHtml,
  value: SafeHtml | string,
  sub?: SafeHtml | string,
  name?: string,
): SafeHtml {
  return html`<div class="stat"${name ? html` data-stat="${name}"` : ''}><div class="label">${label}</div><div class="value">${value}</div>${
    sub ? html`<div class="sub">${sub}</div>` : ''
  }</div>`;
}

function statusBadge(report: AccountReport): SafeHtml {
  const { status, now } = report;
  if (status.disabledUntil !== null && status.disabledUntil > now) {
    return html`<span class="badge bad">${bi('已停用', 'disabled')} · ${formatDuration(status.disabledUntil - now)}</span>`;
  }
  if (!status.token) return html`<span class="badge warn">${bi('暂无令牌', 'no token yet')}</span>`;
  if (status.token.expiresAt <= now)
    return html`<span class="badge bad">${bi('令牌已过期', 'token expired')}</span>`;
  if (status.lastError) return html`<span class="badge warn">${bi('最近失败', 'last refresh failed')}</span>`;
  return html`<span class="badge ok">${bi('正常', 'healthy')}</span>`;
}

/** Whether the hub receives the account's pushes, and in which of WeChat's modes (never its Token or key). */
function pushLabel(report: AccountReport): SafeHtml {
  return report.pushMode
    ? html`<span data-push="${report.pushMode}">${bi('推送', 'pushes')}: ${report.pushMode}</span>`
    : html`<span data-push="none">${bi('推送未接入', 'no push URL')}</span>`;
}

/** WeChat's daily limit of `/cgi-bin/stable_token` calls (shared/wechat-api.md §2). */
const STABLE_DAILY_LIMIT = 500_000;
/** WeChat's daily limit of `force_refresh: true` stable_token calls. */
const FORCE_DAILY_LIMIT = 20;

/** Today's token fetches against their limit: `12 / 2000` (classic: the account's budget). */
function quotaStat(report: AccountReport): SafeHtml {
  const q = report.quota;
  const show = (n: number | null) => (n === null ? '?' : String(n));
  if (report.tokenMode === 'classic') {
    return stat(
      bi('今日配额', 'Quota used today'),
      `${show(q.token)} / ${report.dailyBudget}`,
      html`/cgi-bin/token · ticket ${show(q.ticket)}`,
      'quota',
    );
  }
  return stat(
    bi('今日配额', 'Quota used today'),
    `${show(q.stable)} / ${STABLE_DAILY_LIMIT}`,
    html`stable_token · force ${show(q.stable_force)} / ${FORCE_DAILY_LIMIT} · ticket ${show(q.ticket)}`,
    'quota',
  );
}

/** Token age, next refresh, expiry and quota of an account. */
function tokenStats(report: AccountReport): SafeHtml {
  const { token } = report.status;
  const { now } = report;
  const age = token
    ? stat(
        bi('令牌年龄', 'Token age'),
        formatDuration(now - token.fetchedAt),
        html`${bi('获取于', 'fetched')} ${formatTimeOfDay(token.fetchedAt)}`,
        'token-age',
      )
    : stat(bi('令牌年龄', 'Token age'), '—', bi('尚未获取', 'not fetched yet'), 'token-age');
  const next = token
    ? stat(
        bi('下次刷新', 'Next refresh'),
        token.refreshAt > now ? formatDuration(token.refreshAt - now) : bi('即将', 'due now'),
        html`${bi('于', 'at')} ${formatTimeOfDay(token.refreshAt)}`,
        'next-refresh',
      )
    : stat(bi('下次刷新', 'Next refresh'), '—', undefined, 'next-refresh');
  const expires = token
    ? stat(
        bi('剩余有效期', 'Expires in'),
        formatDuration(token.expiresAt - now),
        html`${bi('于', 'at')} ${formatTimeOfDay(token.expiresAt)}`,
        'expires',
      )
    : stat(bi('剩余有效期', 'Expires in'), '—', undefined, 'expires');
  return html`${age}${next}${expires}${quotaStat(report)}`;
}

function windowTotals(report: AccountReport): { calls: number; errors: number } {
  return report.buckets.reduce((acc, b) => ({ calls: acc.calls + b.calls, errors: acc.errors + b.errors }), {
    calls: 0,
    errors: 0,
  });
}

function accountHead(report: AccountReport, link: boolean): SafeHtml {
  const title = link
    ? html`<a href="/admin/accounts/${report.appid}">${report.name}</a>`
    : html`${report.name}`;
  return html`<div class="account-head">${accountLogo(report.name, report.appid)}
<div><h2>${title}</h2><div class="muted"><span class="mono">${report.appid}</span> · ${report.tokenMode} · ${pushLabel(report)} · ${statusBadge(report)}</div></div></div>`;
}

/** `/admin`: a card per account. */
export function overviewPage(input: {
  reports: readonly AccountReport[];
  followerTotals: ReadonlyMap<string, number>;
  session: AdminSession;
  hub: { store: string; database: string };
  links: AdminLinks;
}): string {
  const cards = input.reports.map((report) => {
    const totals = windowTotals(report);
    const followers = input.followerTotals.get(report.appid);
    return html`<section class="card" data-appid="${report.appid}">
${accountHead(report, true)}
<div class="stats">
${tokenStats(report)}
${stat(bi('上游调用', 'Upstream calls'), String(totals.calls), bi(`近 ${report.buckets.length} 分钟`, `last ${report.buckets.length} min`), 'calls')}
${stat(bi('错误', 'Errors'), String(totals.errors), bi(`近 ${report.buckets.length} 分钟`, `last ${report.buckets.length} min`), 'errors')}
${stat(bi('关注者', 'Followers'), followers === undefined ? '—' : String(followers), html`<a href="/admin/accounts/${report.appid}#followers">${bi('查看', 'view')}</a>`, 'followers')}
</div>
${upstreamChart(report.buckets)}
<p><a class="btn small" href="/admin/accounts/${report.appid}">${bi('详情', 'Details')} →</a></p>
</section>`;
  });
  const body = html`<h1>${bi('运营后台', 'Operator dashboard')}</h1>
<p class="lead">${bi(`${input.reports.length} 个公众号`, `${input.reports.length} accounts`)} · store <span class="mono">${input.hub.store}</span> · database <span class="mono">${input.hub.database}</span></p>
${input.reports.length === 0 ? html`<p class="flash warn">${bi('没有配置公众号。', 'No accounts are configured.')}</p>` : ''}
${cards}`;
  return page({
    title: biText('运营后台', 'Operator dashboard'),
    brand: BRAND,
    brandHref: '/admin',
    nav: nav(input.session, input.links),
    body,
    footer: footer(input.links),
  });
}

const REASONS: Readonly<Record<RefreshReason, readonly [string, string]>> = {
  missing: ['首次获取', 'first fetch'],
  expired: ['已过期', 'had expired'],
  proactive: ['提前刷新', 'before expiry'],
  stale: ['调用方报告失效', 'reported dead'],
};

/** The reason in both languages, then its code (what logs and metrics say) as a separate tag. */
function reasonText(reason: RefreshReason): SafeHtml {
  const [zh, en] = REASONS[reason];
  return html`${bi(zh, en)} <span class="tag mono">${reason}</span>`;
}

function outcomeBadge(outcome: 'fetched' | 'failed'): SafeHtml {
  return outcome === 'fetched'
    ? html`<span class="badge ok">${bi('成功', 'fetched')}</span>`
    : html`<span class="badge bad">${bi('失败', 'failed')}</span>`;
}

function errcodeText(errcode: number): SafeHtml {
  if (errcode === 0) return html`<span class="badge ok">0 ok</span>`;
  if (errcode === -2)
    return html`<span class="badge bad">-2</span> <span class="muted">${bi('无应答', 'no answer')}</span>`;
  const known = ERRCODES[errcode]?.errmsg;
  const short = known && known.length > 48 ? `${known.slice(0, 47)}…` : known;
  return html`<span class="badge bad">${errcode}</span>${short ? html` <span class="muted">${short}</span>` : ''}`;
}

/** An errcode cell of the upstream tally: token errors the retry fixed are said to be so. */
function tallyErrcode(errcode: number, count: number, healed: number): SafeHtml {
  if (healed === 0) return errcodeText(errcode);
  const note =
    healed === count
      ? bi('已由重试恢复', 'fixed by the retry')
      : bi(`${healed} 次由重试恢复`, `${healed} fixed by the retry`);
  return html`<span class="badge warn">${errcode}</span> <span class="muted">${note}</span>`;
}

/** A `<td>` that, on a phone, shows its column's name before its value. */
function td(label: readonly [string, string], content: unknown, cls?: string): SafeHtml {
  const name = label[0] === label[1] ? label[0] : biText(label[0], label[1]);
  return html`<td data-label="${name}"${cls ? html` class="${cls}"` : ''}>${content}</td>`;
}

const COL = {
  credential: ['凭证', 'Credential'],
  reason: ['原因', 'Reason'],
  outcome: ['结果', 'Outcome'],
  count: ['次数', 'Count'],
  time: ['时间', 'Time'],
  ms: ['耗时 ms', 'ms'],
  errcode: ['errcode', 'errcode'],
  path: ['接口', 'Path'],
  source: ['来源', 'Source'],
  what: ['内容', 'What'],
  openid: ['OpenID', 'OpenID'],
  unionid: ['UnionID', 'UnionID'],
  followed: ['关注时间', 'Followed'],
  lastLogin: ['最近登录', 'Last login'],
} as const satisfies Record<string, readonly [string, string]>;

function th(label: readonly [string, string], cls?: string): SafeHtml {
  const name = label[0] === label[1] ? label[0] : bi(label[0], label[1]);
  return html`<th${cls ? html` class="${cls}"` : ''}>${name}</th>`;
}

function refreshSection(report: AccountReport): SafeHtml {
  const tally = report.refreshTally.length
    ? html`<div class="table-wrap"><table id="refresh-tally" class="table-cards"><thead><tr>${th(COL.credential)}${th(COL.reason)}${th(COL.outcome)}${th(COL.count, 'num')}</tr></thead><tbody>
${report.refreshTally.map((t) => html`<tr>${td(COL.credential, t.kind, 'mono')}${td(COL.reason, reasonText(t.reason))}${td(COL.outcome, outcomeBadge(t.outcome))}${td(COL.count, t.count, 'num')}</tr>`)}
</tbody></table></div>`
    : html`<p class="muted">${bi('本进程启动以来没有刷新。', 'No refreshes since this process started.')}</p>`;
  const recent = report.refreshes.slice(0, 15);
  return html`<section class="card" id="refreshes">
<h2>${bi('令牌刷新', 'Refreshes')}</h2>
${tally}
${
  recent.length
    ? html`<h3>${bi('最近', 'Recent')}</h3><div class="table-wrap"><table class="table-cards"><thead><tr>${th(COL.time)}${th(COL.credential)}${th(COL.reason)}${th(COL.outcome)}${th(COL.ms, 'num')}${th(COL.errcode)}</tr></thead><tbody>
${recent.map(
  (r) =>
    html`<tr>${td(COL.time, formatTime(r.at))}${td(COL.credential, r.kind, 'mono')}${td(COL.reason, reasonText(r.reason))}${td(COL.outcome, outcomeBadge(r.outcome))}${td(COL.ms, Math.round(r.durationMs), 'num')}${
      r.errcode !== undefined
        ? td(COL.errcode, errcodeText(r.errcode))
        : r.error
          ? td(COL.errcode, html`<span class="mono">${r.error}</span>`)
          : html`<td class="empty"></td>`
    }</tr>`,
)}
</tbody></table></div>`
    : ''
}
</section>`;
}

function upstreamSection(report: AccountReport): SafeHtml {
  const totals = windowTotals(report);
  return html`<section class="card" id="upstream">
<h2>${bi('上游调用', 'Upstream calls')}</h2>
<p class="muted">${bi(`每分钟调用次数（近 ${report.buckets.length} 分钟，红色为错误）`, `Calls per minute over the last ${report.buckets.length} minutes, errors in red`)}: ${totals.calls} / ${totals.errors}</p>
${upstreamChart(report.buckets)}
${
  report.upstreamTally.length
    ? html`<h3>${bi('按接口和 errcode（启动以来）', 'By path and errcode (since start)')}</h3><div class="table-wrap"><table id="upstream-tally" class="table-cards"><thead><tr>${th(COL.path)}${th(COL.errcode)}${th(COL.count, 'num')}</tr></thead><tbody>
${report.upstreamTally.map((u) => html`<tr>${td(COL.path, u.path, 'mono path')}${td(COL.errcode, tallyErrcode(u.errcode, u.count, u.healed))}${td(COL.count, u.count, 'num')}</tr>`)}
</tbody></table></div>`
    : ''
}
</section>`;
}

function errorsSection(report: AccountReport): SafeHtml {
  const last = report.status.lastError;
  const rows = report.errors.slice(0, 20);
  return html`<section class="card" id="errors">
<h2>${bi('最近错误', 'Recent errors')}</h2>
${
  last
    ? html`<p class="flash error">${bi('最近一次刷新失败', 'Last refresh failure')} · ${formatTime(last.at)} · ${last.errcode !== undefined ? html`errcode ${last.errcode} · ` : ''}${last.message}</p>`
    : ''
}
${
  rows.length
    ? html`<div class="table-wrap"><table class="table-cards"><thead><tr>${th(COL.time)}${th(COL.source)}${th(COL.what)}</tr></thead><tbody>
${rows.map((e) => html`<tr>${td(COL.time, formatTime(e.at))}${td(COL.source, e.source, 'mono')}${td(COL.what, e.message)}</tr>`)}
</tbody></table></div>`
    : html`<p class="muted" id="no-errors">${bi('没有错误。', 'No errors.')}</p>`
}
</section>`;
}

export interface FollowersView {
  /** Undefined: this hub has no followers table. A string: reading it failed. */
  readonly page: FollowerPage | string | undefined;
  readonly pageNumber: number;
  readonly pageSize: number;
  /** The follower sync; undefined: no sync here (no button). A string: the status did not load. */
  readonly sync: FollowerSyncStatus | string | undefined;
}

function followerAvatar(url: string | null): SafeHtml {
  const safe = safeUrl(url);
  return safe
    ? html`<img class="avatar" src="${avatarUrl(safe, 46)}" width="36" height="36" alt="" loading="lazy">`
    : html`<div class="avatar none">—</div>`;
}

/** `24 h`, `90 min`: a sync interval. */
function every(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`;
}

/**
 * The sync's state, drawn under the "sync now" button (where the page lands after pressing it,
 * on a phone too): running, or how the last sync ended with WeChat's errcode, then the schedule
 * and today's `/cgi-bin/user/get` calls against WeChat's 500.
 */
function syncStatus(status: FollowerSyncStatus | string): SafeHtml {
  if (typeof status === 'string') {
    return html`<div id="sync-status"><p class="flash warn">${bi('同步状态不可用', 'Sync status unavailable')}: ${status}</p></div>`;
  }
  const { running, last } = status;
  let result: SafeHtml | string = '';
  if (running) {
    result = html`<p class="flash warn" id="sync-result" data-state="running">${bi('正在同步', 'Syncing')} · ${bi('开始于', 'started')} ${formatTimeOfDay(running.startedAt)} · ${bi('刷新页面查看结果', 'reload for the result')}</p>`;
  } else if (last?.ok) {
    result = html`<p class="flash" id="sync-result" data-state="ok">${bi('同步完成', 'Sync done')} · ${formatTime(last.finishedAt)}<br>${bi(`共 ${last.total} 位关注者，更新 ${last.synced}，移除 ${last.removed}`, `${last.total} followers, ${last.synced} updated, ${last.removed} removed`)}</p>`;
  } else if (last) {
    const what = last.busy
      ? bi('另一个 hub 正在同步此公众号', 'another hub is syncing this account now')
      : html`${last.errcode !== undefined ? html`<span class="badge bad" data-errcode="${last.errcode}">errcode ${last.errcode}</span> ` : ''}${last.code ? html`<span class="tag mono">${last.code}</span> ` : ''}<span class="errmsg">${last.message}</span>`;
    result = html`<p class="flash ${last.busy ? 'warn' : 'error'}" id="sync-result" data-state="failed">${bi('同步失败', 'Sync failed')} · ${formatTime(last.finishedAt)}<br>${what}</p>`;
  }
  const schedule =
    status.intervalSeconds > 0
      ? bi(`每 ${every(status.intervalSeconds)} 自动同步`, `synced every ${every(status.intervalSeconds)}`)
      : bi('未开启定时同步', 'no scheduled sync');
  const calls = status.userGetToday === null ? '?' : String(status.userGetToday);
  return html`<div id="sync-status">${result}
<p class="muted" id="sync-schedule">${bi('上次同步', 'Last synced')}: ${status.lastSyncedAt === null ? '—' : formatTime(status.lastSyncedAt)} · ${schedule} · <span class="nowrap" data-user-get="${calls}">/cgi-bin/user/get ${bi('今日', 'today')} ${calls} / ${status.userGetDailyLimit}</span></p></div>`;
}

function followerRow(r: FollowerRow): SafeHtml {
  const who = html`<div class="follower">${followerAvatar(r.headimgurl)}${
    r.nickname
      ? html`<span class="nickname">${r.nickname}</span>`
      : html`<span class="badge warn" title="${biText('此人还没有用 snsapi_userinfo 登录过', 'This person has not logged in with snsapi_userinfo yet')}">${bi('未采集资料', 'no profile captured')}</span>`
  }</div>`;
  const login = r.lastLoginAt
    ? formatTime(r.lastLoginAt)
    : html`<span class="muted">${bi('从未', 'never')}</span>`;
  return html`<tr class="follower-row"><td class="who">${who}</td>${td(COL.openid, r.openid, 'mono openid')}${td(COL.unionid, r.unionid ?? '—', 'mono hide-sm')}${td(COL.followed, formatTime(r.subscribeTime))}${td(COL.lastLogin, login)}</tr>`;
}

function pager(appid: string, pageNumber: number, pages: number): SafeHtml | string {
  if (pages <= 1) return '';
  const link = (n: number, label: SafeHtml) =>
    html`<a href="/admin/accounts/${appid}?page=${n}#followers">${label}</a>`;
  return html`<div class="pager">${pageNumber > 1 ? link(pageNumber - 1, html`← ${bi('上一页', 'Previous')}`) : ''}<span class="muted">${pageNumber} / ${pages}</span>${
    pageNumber < pages ? link(pageNumber + 1, html`${bi('下一页', 'Next')} →`) : ''
  }</div>`;
}

function followersSection(report: AccountReport, view: FollowersView, session: AdminSession): SafeHtml {
  const syncForm = view.sync
    ? html`<form method="post" action="/admin/accounts/${report.appid}/followers/sync" class="inline"><input type="hidden" name="_csrf" value="${session.csrf}"><button class="btn small primary" type="submit" id="sync-followers">${bi('立即同步', 'Sync now')}</button></form>`
    : '';
  const note = html`<p class="muted" id="profile-note">${bi(
    '自 2021 年起 /cgi-bin/user/info 不再返回昵称和头像：这里的昵称和头像只来自关注者用 snsapi_userinfo 登录时采集的资料。',
    'Since 2021 /cgi-bin/user/info no longer returns nickname or avatar: they come only from profiles captured when a follower logs in with snsapi_userinfo.',
  )}</p>`;
  let content: SafeHtml;
  if (view.page === undefined) {
    content = html`<p class="flash warn">${bi('此 hub 的数据库还没有关注者表。', 'This hub’s database has no followers table yet.')}</p>`;
  } else if (typeof view.page === 'string') {
    content = html`<p class="flash error">${bi('读取关注者失败', 'Could not read the followers')}: ${view.page}</p>`;
  } else if (view.page.rows.length === 0) {
    content = html`<p class="muted" id="no-followers">${bi('还没有关注者记录：点“立即同步”从微信拉取关注者列表。', 'No followers recorded yet: press “Sync now” to fetch the list from WeChat.')}</p>`;
  } else {
    const { total, rows } = view.page;
    const first = (view.pageNumber - 1) * view.pageSize;
    const missing = rows.filter((r) => !r.nickname && !r.headimgurl).length;
    content = html`<p class="muted" id="followers-range">${bi(`共 ${total} 位，第 ${first + 1}–${first + rows.length} 位`, `${total} in all, ${first + 1}–${first + rows.length} shown`)}${
      missing ? html` · ${bi(`${missing} 位未采集资料`, `${missing} without a captured profile`)}` : ''
    }</p>
<div class="table-wrap"><table id="followers-table" class="table-cards"><thead><tr>${th(['关注者', 'Follower'])}${th(COL.openid)}${th(COL.unionid, 'hide-sm')}${th(COL.followed)}${th(COL.lastLogin)}</tr></thead><tbody>
${rows.map(followerRow)}
</tbody></table></div>
${pager(report.appid, view.pageNumber, Math.ceil(total / view.pageSize))}`;
  }
  return html`<section class="card" id="followers">
<div class="section-head"><h2>${bi('关注者', 'Followers')}</h2><span class="push">${syncForm}</span></div>
${view.sync ? syncStatus(view.sync) : ''}
${note}
${content}
</section>`;
}

/** `/admin/accounts/:appid`: everything about one account. */
export function accountPage(input: {
  report: AccountReport;
  /** Offer "Enable" while the account is stopped by a configuration error. */
  canEnable?: boolean;
  followers: FollowersView;
  session: AdminSession;
  links: AdminLinks;
}): string {
  const { report } = input;
  const body = html`<p class="muted"><a href="/admin">← ${bi('概览', 'Overview')}</a></p>
<section class="card">
${accountHead(report, false)}
<div class="stats">${tokenStats(report)}</div>
${
  report.status.disabledUntil !== null && report.status.disabledUntil > report.now
    ? html`<p class="flash error">${bi('因配置错误已停止刷新，直到', 'Refreshing stopped after a configuration error until')} ${formatTime(report.status.disabledUntil)}</p>${
        input.canEnable
          ? html`<form method="post" action="/admin/accounts/${report.appid}/enable" class="inline"><input type="hidden" name="_csrf" value="${input.session.csrf}"><button class="btn small primary" type="submit" id="enable-account">${bi('已修复，立即启用', 'Fixed: enable now')}</button></form>`
          : ''
      }`
    : ''
}
</section>
${upstreamSection(report)}
${refreshSection(report)}
${errorsSection(report)}
${followersSection(report, input.followers, input.session)}`;
  return page({
    title: biText(`${report.name} · 运营后台`, `${report.name} · Operator dashboard`),
    brand: BRAND,
    brandHref: '/admin',
    nav: nav(input.session, input.links),
    body,
    footer: footer(input.links),
  });
}

/** An unknown account or page inside the dashboard. */
export function adminNotFoundPage(input: { session: AdminSession | null; links: AdminLinks }): string {
  return page({
    title: biText('未找到', 'Not found'),
    brand: BRAND,
    brandHref: '/admin',
    nav: nav(input.session, input.links),
    body: html`<h1>${bi('未找到', 'Not found')}</h1><p><a href="/admin">${bi('返回概览', 'Back to the overview')}</a></p>`,
    narrow: true,
    footer: footer(input.links),
  });
}
