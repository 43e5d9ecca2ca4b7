import type { SimAccount } from '../state/account.js';
import { headimgurlOf } from '../user-views.js';
import type { AuthorizeRequest } from './authorize-request.js';
import { escapeHtml } from './html.js';

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
}

/** The link's parameters as hidden form fields, so the confirm route can check them again. */
export function linkFields(request: AuthorizeRequest): string {
  return [
    hidden('appid', request.account.appid),
    hidden('redirect_uri', request.redirectUri),
    hidden('response_type', 'code'),
    hidden('scope', request.scope),
    hidden('state', request.state),
  ].join('\n');
}

/**
 * Radio buttons to act as one of the account's simulated users (avatar, nickname, openid; a
 * follower badge for Official Accounts), or a hint to create some.
 */
export function userPicker(account: SimAccount, origin: string, emptyHint: string): string {
  if (account.users.length === 0) {
    return `<p class="muted">还没有模拟用户 / No simulated users yet: POST /__sim/accounts/${escapeHtml(account.appid)}/users${emptyHint}</p>`;
  }
  const official = account.settings.kind === 'official';
  const items = account.users.map((user, i) => {
    const avatar = headimgurlOf(user, origin).replace(/\/132$/, '/64');
    const badge = !official
      ? ''
      : user.subscribe
        ? ' <span class="badge">已关注 / follower</span>'
        : ' <span class="badge no">未关注 / not following</span>';
    return `<li><label><input type="radio" name="openid" value="${escapeHtml(user.openid)}"${i === 0 ? ' checked' : ''}>
<img src="${escapeHtml(avatar)}" alt=""><span><strong>${escapeHtml(user.nickname)}</strong>${badge}<br><span class="muted">${escapeHtml(user.openid)}</span></span></label></li>`;
  });
  return `<ul>${items.join('\n')}</ul>`;
}
