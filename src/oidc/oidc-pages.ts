import { html, raw, type SafeHtml } from '../web/html/html.js';
import { bi, biText } from '../web/html/layout.js';

/**
 * The provider's own pages (the WeChat pages are WeChat's): small, bilingual, phone-friendly and
 * self-contained (no stylesheet route, no script), like the login problem pages.
 */

const STYLE = `body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222;line-height:1.5}
h1{font-size:1.3rem}.en{color:#555}code{color:#888;font-size:.85rem}
button,a.button{display:inline-block;padding:.6rem 1.2rem;margin:.3rem .3rem 0 0;background:#07c160;color:#fff;border:0;border-radius:4px;font-size:1rem;text-decoration:none}
button.secondary{background:#eee;color:#222}input.link{width:100%;font-size:.9rem;padding:.4rem}`;

/** A page with a bilingual heading, paragraphs and optional extra HTML. */
export function oidcPage(title: { zh: string; en: string }, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${biText(title.zh, title.en)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${bi(title.zh, title.en)}</h1>
${body}
</body>
</html>
`.value;
}

/**
 * Shown on a desktop browser when the client has no website app and the hub no follow-to-log-in:
 * the link to open in WeChat (copy it, or scan it from a phone).
 */
export function openInWeChatPage(link: string): string {
  return oidcPage(
    { zh: '请在微信中打开', en: 'Open this page in WeChat' },
    html`<p>请复制下面的链接，在微信中打开以完成登录。</p>
<p class="en" lang="en">Copy the link below and open it in WeChat to log in.</p>
<p><input class="link" readonly value="${link}"></p>`,
  );
}

/** oidc-provider's `logoutSource`: confirm the logout (`form` is oidc-provider's own hidden form). */
export function logoutPage(form: string): string {
  return oidcPage(
    { zh: '退出登录？', en: 'Log out?' },
    html`${raw(form)}
<p><button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">退出 / Log out</button>
<button class="secondary" type="submit" form="op.logoutForm">取消 / Stay logged in</button></p>`,
  );
}

/** oidc-provider's `postLogoutSuccessSource`: shown when the client gave no post-logout URI. */
export function loggedOutPage(): string {
  return oidcPage({ zh: '已退出登录', en: 'You are logged out' }, html``);
}

/**
 * oidc-provider's `renderError`, for errors it cannot send back to a client (an unknown client,
 * an unregistered redirect_uri): the OAuth error code and its description, nothing internal.
 */
export function errorPage(error: string, description: string | undefined): string {
  return oidcPage(
    { zh: '无法登录', en: 'The login cannot go on' },
    html`<p>登录请求无效，请回到应用重新登录。</p>
<p class="en" lang="en">The login request is not valid: go back to the app and log in again.</p>
<p><code>${error}</code>${description ? html` <code>${description}</code>` : ''}</p>`,
  );
}
