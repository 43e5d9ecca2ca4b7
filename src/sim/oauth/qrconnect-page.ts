import { randomBytes } from 'node:crypto';
import { qrPng } from '../qr-image.js';
import type { AuthorizeRequest } from './authorize-request.js';
import { escapeHtml, page } from './html.js';
import { linkFields, userPicker } from './user-picker.js';

/** Where the QR page's simulator form posts its decision. */
export const QRCONNECT_CONFIRM_PATH = '/connect/qrconnect/confirm';

/**
 * The website QR login page: the app's name and a QR code as WeChat shows it (it encodes a
 * `connect/confirm?uuid=…` link like WeChat's; nothing scans it here), then the simulator's
 * part: the website app's users to "scan as", 确认登录 / Allow and 拒绝 / Deny.
 */
export function qrconnectPage(request: AuthorizeRequest, origin: string): string {
  const { account } = request;
  const name = escapeHtml(account.settings.name);
  const uuid = randomBytes(12).toString('base64url');
  const qr = qrPng(`https://open.weixin.qq.com/connect/confirm?uuid=${uuid}`).toString('base64');
  return page(
    `微信登录 / Log in with WeChat · ${account.settings.name}`,
    `<main>
<h1>微信登录 / Log in with WeChat</h1>
<img class="qrcode" src="data:image/png;base64,${qr}" alt="QR code" width="220" height="220" style="display:block;margin:8px auto">
<p style="text-align:center">请使用微信扫描二维码登录 “${name}”<br><span class="muted">Scan with WeChat to log in to ${name}</span></p>
<form method="post" action="${QRCONNECT_CONFIRM_PATH}">
${linkFields(request)}
<p>模拟器：以此用户身份扫码 / Simulator: scan as</p>
${userPicker(account, origin, '.')}
<div class="actions">
<button type="submit" name="action" value="allow" class="allow">确认登录 / Allow</button>
<button type="submit" name="action" value="deny" class="deny">拒绝 / Deny</button>
</div>
</form>
<p class="muted">WeChat simulator · 登录后跳转到 / redirects to ${escapeHtml(new URL(request.redirectUri).host)}</p>
</main>`,
  );
}
