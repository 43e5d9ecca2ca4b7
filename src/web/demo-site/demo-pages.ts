import { AVATAR_SIZES, avatarUrl } from '../../wechat/avatar.js';
import { formatTime } from '../html/format.js';
import { html, raw, type SafeHtml, safeUrl } from '../html/html.js';
import { accountLogo, bi, biText, page } from '../html/layout.js';
import type { DemoSession } from './demo-session.js';

/** A demo account as the site lists it. */
export interface DemoAccount {
  readonly appid: string;
  readonly name: string;
}

export interface SiteLinks {
  /** The simulator's base URL, when the demo runs one (shown in the footer). */
  readonly simulatorUrl?: string;
  /** The OpenID Connect demo site's path, when the demo runs it (a card on the home page). */
  readonly oidcSite?: string;
}

/** WeChat's two bubbles, for "Log in with WeChat" buttons. */
export const WECHAT_ICON = raw(
  '<svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true"><ellipse cx="9.5" cy="9.5" rx="7.5" ry="6.2" fill="#fff"/><ellipse cx="15.5" cy="14.8" rx="6.3" ry="5.2" fill="#fff" stroke="#07c160" stroke-width="1.2"/><circle cx="7" cy="8.4" r="1" fill="#07c160"/><circle cx="12" cy="8.4" r="1" fill="#07c160"/><circle cx="13.4" cy="14" r=".8" fill="#07c160"/><circle cx="17.6" cy="14" r=".8" fill="#07c160"/></svg>',
);

const BRAND = bi('演示商城', 'wxhub demo site');

function footer(links: SiteLinks): SafeHtml {
  return html`<p>wxhub 演示站 · wxhub demo ·
<a href="/admin">${bi('运营后台', 'Operator dashboard')}</a> ·
<a href="/openapi.json">Hub API (OpenAPI)</a>${
    links.simulatorUrl
      ? html` · <a href="${links.simulatorUrl}/__sim">${bi('微信模拟器', 'WeChat simulator')}</a>`
      : ''
  }</p>`;
}

function nav(session: DemoSession | null): SafeHtml {
  if (!session) return html`<a href="/admin">${bi('运营后台', 'Dashboard')}</a>`;
  return html`<a href="/profile">${session.nickname ?? bi('我的资料', 'My profile')}</a>
<form method="post" action="/logout"><button class="btn small" type="submit">${bi('退出', 'Log out')}</button></form>`;
}

/** `/oauth/:appid/login?return_to=…&scope=…`: the hub's login entry, back to `/profile` here. */
export function loginHref(origin: string, appid: string, scope: 'snsapi_userinfo' | 'snsapi_base'): string {
  const query = new URLSearchParams({ return_to: `${origin}/profile`, scope });
  return `/oauth/${encodeURIComponent(appid)}/login?${query.toString()}`;
}

/** The home page: one "Log in with WeChat" per account, and how the login works. */
export function homePage(input: {
  origin: string;
  accounts: readonly DemoAccount[];
  session: DemoSession | null;
  links: SiteLinks;
}): string {
  const { origin, accounts, session } = input;
  const cards = accounts.map(
    (account) => html`<section class="card" data-appid="${account.appid}">
<div class="account-head">${accountLogo(account.name, account.appid)}
<div><h2>${account.name}</h2><div class="muted mono">${account.appid}</div></div></div>
<div class="stack">
<a class="btn primary wechat" href="${loginHref(origin, account.appid, 'snsapi_userinfo')}">${WECHAT_ICON}<span>使用微信登录 <span class="en" lang="en">/ Log in with WeChat</span></span></a>
<p class="muted">${bi('授权后获得昵称和头像（snsapi_userinfo）', 'Nickname and avatar, after consent (snsapi_userinfo)')}</p>
<a class="btn" href="${loginHref(origin, account.appid, 'snsapi_base')}">${bi('静默登录', 'Silent login')} <span class="muted">snsapi_base</span></a>
<p class="muted">${bi('只获得 openid，不弹授权页（模拟器会问你是谁）', 'openid only, no consent page in WeChat (the simulator asks who you are)')}</p>
</div>
</section>`,
  );
  const body = html`${
    session
      ? html`<p class="flash">${bi('已登录', 'Logged in as')} <strong>${session.nickname ?? session.openid}</strong> · <a href="/profile">${bi('查看资料', 'View profile')}</a></p>`
      : ''
  }
<h1>${bi('欢迎来到演示商城', 'Welcome to the demo shop')}</h1>
<p class="lead">${bi(
    '一个通过 wxhub 接入微信网页授权的业务网站示例。',
    'A business site that signs people in with WeChat web authorization through wxhub.',
  )}</p>
<div class="cards">${cards}</div>
${
  input.links.oidcSite
    ? html`<section class="card" id="oidc-site">
<h2>${bi('OpenID Connect 演示站', 'The OpenID Connect demo site')}</h2>
<p>${bi('另一个网站，用标准的 OpenID Connect 客户端（openid-client）通过 wxhub 登录，不需要任何微信专用代码。', 'Another site that logs people in through wxhub with a standard OpenID Connect client (openid-client), without any WeChat-specific code.')}</p>
<p><a class="btn primary" href="${input.links.oidcSite}">${bi('打开 OpenID Connect 演示站', 'Open the OpenID Connect demo site')}</a></p>
</section>`
    : ''
}
<section class="card" id="how">
<h2>${bi('登录是怎样完成的', 'How the login works')}</h2>
<ol class="steps">
<li>${bi('按钮链接到 wxhub 的', 'The button links to wxhub’s')} <span class="mono">/oauth/:appid/login</span></li>
<li>${bi('wxhub 跳转到微信授权页（这里是模拟器），你选择一个用户并点“允许”', 'wxhub sends you to WeChat’s consent page (the simulator here): pick a user, press Allow')}</li>
<li>${bi('微信带着 code 回到 wxhub；wxhub 换取身份、绑定用户，再带着一次性票据回到本站', 'WeChat returns to wxhub with a code; wxhub exchanges it, binds the identity to a user and comes back here with a single-use ticket')}</li>
<li>${bi('本站服务端用自己的客户端密钥兑换票据', 'This site’s server redeems the ticket with its own client key:')} <span class="mono">POST /v1/oauth/tickets/redeem</span>${bi('，然后建立自己的会话', ', then starts its own session')}</li>
</ol>
</section>`;
  return page({
    title: biText('演示商城 · 微信登录', 'Demo shop · Log in with WeChat'),
    brand: BRAND,
    brandHref: '/',
    nav: nav(session),
    body,
    footer: footer(input.links),
  });
}

function avatarBlock(session: DemoSession): SafeHtml {
  const url = safeUrl(session.headimgurl);
  if (!url) {
    return html`<div class="avatar big none" id="avatar">${bi('无头像', 'No avatar')}</div>`;
  }
  return html`<img class="avatar big" id="avatar" src="${avatarUrl(url, 132)}" width="132" height="132" alt="${session.nickname ?? ''}">`;
}

function avatarSizes(session: DemoSession): SafeHtml {
  const url = safeUrl(session.headimgurl);
  if (!url) return html``;
  const figures = AVATAR_SIZES.filter((size) => size !== 0).map(
    (size) =>
      html`<figure><img src="${avatarUrl(url, size)}" width="${size}" height="${size}" alt="" data-size="${size}"><figcaption>${size}×${size}</figcaption></figure>`,
  );
  return html`<h3>${bi('头像尺寸', 'Avatar sizes')}</h3>
<p class="muted">${bi('headimgurl 的最后一段是边长：0、46、64、96、132（0 为 640×640）。', 'The last path segment of headimgurl is the size: 0, 46, 64, 96, 132 (0 means 640×640).')}</p>
<div class="sizes" id="avatar-sizes">${figures}<figure><a href="${avatarUrl(url, 0)}">640×640</a><figcaption>0</figcaption></figure></div>`;
}

function yesNo(value: boolean, yes: SafeHtml, no: SafeHtml): SafeHtml {
  return value ? html`<span class="badge ok">${yes}</span>` : html`<span class="badge">${no}</span>`;
}

/** The profile page of a logged-in visitor: what the redeemed ticket said. */
export function profilePage(input: {
  session: DemoSession;
  account: DemoAccount | undefined;
  links: SiteLinks;
}): string {
  const { session, account } = input;
  const accountName = account?.name ?? session.appid;
  const welcome = session.snapshot
    ? html`<div class="flash warn" id="snapshot-note"><strong>${bi('快照页虚拟用户', 'Snapshot-page virtual user')}</strong><br>
${bi(
  '你是在微信的“快照页”里打开的页面（is_snapshotuser=1）。微信给的是一个虚拟 openid，没有真实资料；wxhub 不会把它绑定到真实用户（user 为 null），本站也不为它建立账户。请在微信中打开页面后再登录。',
  'You opened the page in WeChat’s snapshot mode (is_snapshotuser=1). WeChat gave a virtual openid with no real profile; wxhub binds it to no user (user is null), and this site creates no account for it. Open the page fully in WeChat and log in again.',
)}</div>`
    : session.isNew
      ? html`<p class="flash" id="welcome">${bi('欢迎！这是你第一次登录，已为你创建新用户。', 'Welcome! This is your first login: a new user was created.')}</p>`
      : html`<p class="flash" id="welcome">${bi('欢迎回来！', 'Welcome back!')}</p>`;

  const body = html`${welcome}
<h1>${bi('个人资料', 'Your profile')}</h1>
<section class="card">
<div class="profile">
${avatarBlock(session)}
<div>
<h2 id="nickname">${session.nickname ?? html`<span class="muted">${bi('（无昵称）', '(no nickname)')}</span>`}</h2>
<p>${yesNo(
    session.subscribe === 1,
    bi(`已关注「${accountName}」`, `Follows ${accountName}`),
    bi(`未关注「${accountName}」`, `Does not follow ${accountName}`),
  )}</p>
${
  session.nickname === null && !session.snapshot
    ? html`<p class="muted">${bi('静默授权（snsapi_base）只给 openid；昵称和头像要用 snsapi_userinfo 登录。', 'A silent login (snsapi_base) gives only the openid; nickname and avatar need snsapi_userinfo.')}</p>`
    : ''
}
</div>
</div>
${avatarSizes(session)}
</section>
<section class="card">
<dl class="facts">
<dt>${bi('昵称', 'Nickname')}</dt><dd>${session.nickname ?? '—'}</dd>
<dt>OpenID</dt><dd class="mono" id="openid">${session.openid}</dd>
<dt>UnionID</dt><dd class="mono" id="unionid">${session.unionid ?? html`<span class="muted">${bi('无（公众号未绑定开放平台，或快照用户）', 'none (account not bound to an Open Platform account, or a snapshot user)')}</span>`}</dd>
<dt>${bi('关注公众号', 'Follows the account')}</dt><dd id="follows">${session.subscribe === 1 ? bi('是', 'yes') : bi('否', 'no')}</dd>
<dt>${bi('公众号', 'Account')}</dt><dd>${accountName} <span class="muted mono">${session.appid}</span></dd>
<dt>${bi('用户 ID', 'User id')}</dt><dd class="mono" id="user-id">${session.userId ?? html`<span class="muted">${bi('无（未绑定用户）', 'none (bound to no user)')}</span>`}</dd>
<dt>${bi('新用户', 'New user')}</dt><dd id="is-new">${session.isNew ? bi('是，本次登录创建', 'yes, created by this login') : bi('否', 'no')}</dd>
<dt>${bi('首次登录', 'First login')}</dt><dd id="first-login">${formatTime(session.firstLoginAt)}</dd>
<dt>${bi('最近登录', 'Last login')}</dt><dd id="last-login">${formatTime(session.lastLoginAt)}</dd>
</dl>
<p class="muted">${bi('时间为北京时间。以上来自 wxhub 的登录票据；本站把它存进自己的签名 Cookie 会话。', 'Times are Beijing time. All of this came from the wxhub login ticket; this site keeps it in its own signed cookie session.')}</p>
</section>
<div class="row">
<form method="post" action="/logout"><button class="btn primary" type="submit" id="logout">${bi('退出登录', 'Log out')}</button></form>
<a class="btn" href="/">${bi('返回首页', 'Back to home')}</a>
</div>`;
  return page({
    title: biText('个人资料', 'Your profile'),
    brand: BRAND,
    brandHref: '/',
    nav: nav(session),
    body,
    narrow: true,
    footer: footer(input.links),
  });
}

const ERROR_TEXT: Readonly<Record<string, readonly [string, string]>> = {
  access_denied: [
    '你在授权页选择了“拒绝”，所以没有登录。',
    'You chose Deny on the consent page, so you are not logged in.',
  ],
  WXHUB_ERR_OAUTH_TICKET: [
    '登录票据无效、已被使用或已过期（票据只能用一次，约 60 秒内有效）。',
    'The login ticket is invalid, already used or expired (a ticket works once, for about 60 seconds).',
  ],
  WXHUB_ERR_OAUTH_STATE: [
    '登录请求已失效（超时或重复使用）。',
    'The login request expired or was already used.',
  ],
};

/** A friendly page for a login that did not complete, with "log in again". */
export function loginErrorPage(input: { code: string; detail?: string; links: SiteLinks }): string {
  const [zh, en] = ERROR_TEXT[input.code] ?? [
    '登录没有完成，请重新登录。',
    'The login did not complete. Please log in again.',
  ];
  const body = html`<h1>${bi('登录没有完成', 'Login did not complete')}</h1>
<section class="card" id="login-error" data-code="${input.code}">
<p>${bi(zh, en)}</p>
<p class="muted">${bi('原因代码', 'Reason code')}: <span class="mono">${input.code}</span>${input.detail ? html` · ${input.detail}` : ''}</p>
<a class="btn primary" href="/" id="login-again">${bi('重新登录', 'Log in again')}</a>
</section>`;
  return page({
    title: biText('登录没有完成', 'Login did not complete'),
    brand: BRAND,
    brandHref: '/',
    nav: nav(null),
    body,
    narrow: true,
    footer: footer(input.links),
  });
}
