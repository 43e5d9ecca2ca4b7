import { WECHAT_ICON } from '../demo-site/demo-pages.js';
import { html, type SafeHtml, safeUrl } from '../html/html.js';
import { bi, biText, page } from '../html/layout.js';

/** Where the OpenID Connect demo site lives in `wxhub demo`. */
export const OIDC_SITE_PATH = '/oidc-demo';

/** What the site keeps of a login in its session cookie: the ID token's and userinfo's claims. */
export interface OidcSession {
  readonly sub: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

const BRAND = bi('OpenID Connect 演示站', 'OpenID Connect demo site');

function footer(): SafeHtml {
  return html`<p>wxhub 演示站 · wxhub demo · <a href="/">${bi('票据登录演示站', 'The ticket-login demo site')}</a> ·
<a href="/oidc/.well-known/openid-configuration">${bi('发现文档', 'Discovery document')}</a></p>`;
}

function nav(session: OidcSession | null): SafeHtml {
  return session
    ? html`<form method="post" action="${OIDC_SITE_PATH}/logout"><button class="btn small" type="submit">${bi('退出', 'Log out')}</button></form>`
    : html`<a href="/">${bi('返回演示商城', 'Back to the demo shop')}</a>`;
}

const text = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

/** The claims a relying party reads, in the order docs/oidc.md explains them. */
const CLAIMS: readonly (readonly [string, string, string])[] = [
  ['sub', '用户 ID（wxhub）', 'User id (wxhub)'],
  ['openid', '公众号 openid', 'openid on the account'],
  ['unionid', 'UnionID', 'UnionID'],
  ['is_follower', '已关注公众号', 'Follows the account'],
  ['nickname', '昵称', 'Nickname'],
  ['picture', '头像', 'Picture'],
];

function claimRows(session: OidcSession): SafeHtml {
  return html`${CLAIMS.map(([name, zh, en]) => {
    const value = session.claims[name];
    const shown =
      name === 'picture' && safeUrl(text(value))
        ? html`<img class="avatar" id="picture" src="${safeUrl(text(value))}" width="64" height="64" alt="">`
        : html`<span class="mono" id="claim-${name}">${value === undefined ? '—' : text(value)}</span>`;
    return html`<dt>${bi(zh, en)} <span class="tag">${name}</span></dt><dd>${shown}</dd>`;
  })}`;
}

/** The site's one page: a login button, or who is logged in with every claim. */
export function oidcHomePage(input: { session: OidcSession | null; flash?: SafeHtml }): string {
  const { session } = input;
  const body = session
    ? html`${input.flash ?? ''}<h1>${bi('已通过 OpenID Connect 登录', 'Logged in with OpenID Connect')}</h1>
<section class="card" id="claims"><h2>${bi('ID Token 与 UserInfo 中的声明', 'Claims from the ID token and UserInfo')}</h2>
<dl class="facts">${claimRows(session)}</dl></section>
<p class="muted">${bi('sub 是 wxhub 的用户 ID：同一个人在绑定到同一开放平台的不同公众号下 sub 不变，openid 则每个公众号不同。', 'sub is the wxhub user id: the same person has one sub across accounts bound to one Open Platform account, while the openid differs per account.')}</p>`
    : html`${input.flash ?? ''}<h1>${bi('标准 OpenID Connect 登录', 'Standard OpenID Connect login')}</h1>
<p class="lead">${bi('本站只用 openid-client，把 wxhub 当作普通的 OpenID Connect 提供方：发现文档、授权码 + PKCE、ID Token、UserInfo。', 'This site only uses openid-client and treats wxhub as an ordinary OpenID Connect provider: discovery, authorization code with PKCE, ID token, UserInfo.')}</p>
<section class="card"><a class="btn primary wechat" id="oidc-login" href="${OIDC_SITE_PATH}/login">${WECHAT_ICON}<span>使用微信登录 <span class="en" lang="en">/ Log in with WeChat</span></span></a>
<p class="muted">${bi('在微信里打开：公众号网页授权；在电脑上：扫码关注公众号即登录。', 'Inside WeChat: the account’s web authorization; on a computer: scan the QR code and follow the account to log in.')}</p></section>`;
  return page({
    title: biText('OpenID Connect 演示站', 'OpenID Connect demo site'),
    brand: BRAND,
    brandHref: OIDC_SITE_PATH,
    nav: nav(session),
    narrow: true,
    body,
    footer: footer(),
  });
}

/** A login that did not complete (`access_denied` and the like), with the way to try again. */
export function oidcErrorFlash(error: string, description?: string): SafeHtml {
  const denied = error === 'access_denied';
  return html`<p class="flash error" id="oidc-error">${
    denied
      ? bi('登录被拒绝或已取消', 'The login was refused or cancelled')
      : bi('登录失败', 'The login failed')
  } <span class="mono">${error}</span>${description ? html` · ${description}` : ''}</p>`;
}
