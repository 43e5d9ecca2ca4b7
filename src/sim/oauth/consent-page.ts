import type { AuthorizeRequest } from './authorize-request.js';
import { escapeHtml, page } from './html.js';
import { linkFields, userPicker } from './user-picker.js';

/** Where the consent form posts its decision. */
export const CONFIRM_PATH = '/connect/oauth2/authorize/confirm';

const SCOPE_TEXT = {
  snsapi_userinfo:
    '获得你的公开信息（昵称、头像等）<br><span class="muted">Your public profile (nickname, avatar)</span>',
  snsapi_base:
    '获取你的身份标识（静默授权：真实微信不显示此页，模拟器需要知道你是谁）<br><span class="muted">Your identity (silent in real WeChat; the simulator asks who you are)</span>',
  snsapi_login: '使用微信账号登录 / Log in with WeChat',
} as const;

/**
 * The consent page: who the account is, what it asks for, a list of the account's simulated
 * users to act as, a snapshot-user option, and 允许 / Allow and 拒绝 / Deny.
 */
export function consentPage(request: AuthorizeRequest, origin: string): string {
  const { account } = request;
  const name = escapeHtml(account.settings.name);
  const host = escapeHtml(new URL(request.redirectUri).host);
  return page(
    `微信授权 / WeChat authorization · ${account.settings.name}`,
    `<main>
<h1>微信授权 / WeChat authorization</h1>
<p><strong>${name}</strong> 申请获得以下权限 / requests:</p>
<div class="scope">${SCOPE_TEXT[request.scope]}</div>
<form method="post" action="${CONFIRM_PATH}">
${linkFields(request)}
<p>选择模拟用户 / Pick a simulated user:</p>
${userPicker(account, origin, ', or continue as a snapshot user.')}
<p><label><input type="checkbox" name="snapshot" value="1"> 以快照页虚拟用户身份继续 / Continue as a snapshot-page virtual user (is_snapshotuser=1)</label></p>
<div class="actions">
<button type="submit" name="action" value="allow" class="allow">允许 / Allow</button>
<button type="submit" name="action" value="deny" class="deny">拒绝 / Deny</button>
</div>
</form>
<p class="muted">WeChat simulator · 授权后跳转到 / redirects to ${host}</p>
</main>`,
  );
}
