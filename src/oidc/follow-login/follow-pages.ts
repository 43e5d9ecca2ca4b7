import { createHash } from 'node:crypto';
import { html, raw } from '../../web/html/html.js';
import { bi, biText, page } from '../../web/html/layout.js';

/**
 * The follow-to-log-in pages: bilingual, phone-sized, and working without script (a meta
 * refresh inside `<noscript>` reloads the page every 2 s). With script, a small poller asks the
 * status endpoint instead and reloads once the answer is no longer `pending`: the reload is what
 * redirects, so the bound cookie alone decides, with or without script.
 */

/** Seconds between two reloads of the page without script. */
export const REFRESH_SECONDS = 2;
const POLL_MS = 1500;

/** The poller (in `<head>`, so it waits for the body): reads `data-status-url`, reloads on anything but `pending`. */
const POLLER = `document.addEventListener('DOMContentLoaded',function(){var el=document.querySelector('[data-status-url]');if(!el||!window.fetch)return;var url=el.getAttribute('data-status-url');function tick(){fetch(url,{credentials:'same-origin',cache:'no-store',headers:{accept:'application/json'}}).then(function(r){return r.json()}).then(function(s){if(s&&s.status==='pending'){setTimeout(tick,${POLL_MS})}else{location.reload()}},function(){setTimeout(tick,${POLL_MS * 2})})}setTimeout(tick,${POLL_MS})});`;

/** The pages' Content-Security-Policy: no script but the poller (by hash), the QR image from anywhere. */
export const FOLLOW_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  'img-src * data:',
  `script-src 'sha256-${createHash('sha256').update(POLLER).digest('base64')}'`,
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const brand = html`wxhub`;

export interface WaitingPageInput {
  /** The account's display name, when configured. */
  readonly accountName?: string;
  readonly ticket: string;
  readonly imageUrl: string;
  /** Relative to the page: `ID/status`. */
  readonly statusUrl: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly now: number;
}

/** The page with the QR code, waiting for the scan (200). */
export function waitingPage(input: WaitingPageInput): string {
  const minutes = Math.max(1, Math.ceil((input.expiresAt - input.now) / 60_000));
  const name = input.accountName ?? '';
  return page({
    title: biText('微信扫码登录', 'Scan with WeChat to log in'),
    brand,
    brandHref: '#',
    narrow: true,
    head: html`<noscript><meta http-equiv="refresh" content="${REFRESH_SECONDS}"></noscript>
<script>${raw(POLLER)}</script>
`,
    body: html`<h1>${bi('微信扫码登录', 'Scan with WeChat to log in')}</h1>
<p class="lead">${
      name
        ? bi(
            `用微信扫描二维码，关注公众号「${name}」即可登录。`,
            `Scan the code with WeChat and follow ${name} to log in.`,
          )
        : bi(
            '用微信扫描二维码，关注公众号即可登录。',
            'Scan the code with WeChat and follow the account to log in.',
          )
    }</p>
<div class="card qr" id="follow-qr" data-ticket="${input.ticket}" data-status-url="${input.statusUrl}">
<img src="${input.imageUrl}" width="240" height="240" alt="${biText('登录二维码', 'Login QR code')}">
<p class="muted" id="follow-status">${bi('等待扫码…', 'Waiting for the scan…')}</p>
</div>
<p class="muted">${bi(`二维码 ${minutes} 分钟内有效；已关注的用户扫码即可登录。`, `The code works for ${minutes} min; people who already follow just scan it.`)}</p>
<noscript><p class="muted">${bi(`本页每 ${REFRESH_SECONDS} 秒自动刷新。`, `This page reloads every ${REFRESH_SECONDS} s.`)}</p></noscript>`,
  });
}

/** The QR code ran out, the login completed, or the page never existed (410). */
export function expiredPage(restartUrl: string | undefined): string {
  return page({
    title: biText('二维码已失效', 'This QR code has expired'),
    brand,
    brandHref: '#',
    narrow: true,
    body: html`<h1>${bi('二维码已失效', 'This QR code has expired')}</h1>
<p class="lead">${bi('二维码已过期或已被使用，请重新登录。', 'The code expired or was already used: please log in again.')}</p>
${restartUrl ? html`<p><a class="btn primary" href="${restartUrl}">${bi('重新登录', 'Log in again')}</a></p>` : ''}
<p class="muted"><code id="code">WXHUB_ERR_FOLLOW_LOGIN_EXPIRED</code></p>`,
  });
}

/** The page was requested by a browser without its binding cookie (403): it never goes on from here. */
export function otherBrowserPage(): string {
  return page({
    title: biText('请在发起登录的浏览器中打开', 'Open this page in the browser that started the login'),
    brand,
    brandHref: '#',
    narrow: true,
    body: html`<h1>${bi('请在发起登录的浏览器中打开', 'Open this page in the browser that started the login')}</h1>
<p class="lead">${bi('此登录页属于另一个浏览器。请回到网站重新点击登录。', 'This login page belongs to another browser: go back to the site and log in again.')}</p>
<p class="muted"><code id="code">WXHUB_ERR_FOLLOW_LOGIN_BROWSER</code></p>`,
  });
}
