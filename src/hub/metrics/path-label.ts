import { PATHS } from '../../wechat/paths.js';

/**
 * WeChat API paths counted by name in `wxhub_upstream_calls_total`: the ones wxhub calls itself
 * and the Official Account APIs legacy code calls most through the proxy. A proxied path is the
 * caller's text (`/cgi-bin/<script>`, a pasted key), so any other counts under its route pattern:
 * no caller chooses a label value, and the series stay few.
 */
const NAMED = new Set<string>([
  ...Object.values(PATHS).filter((path) => path !== PATHS.authorize),
  '/cgi-bin/callback/check',
  '/cgi-bin/customservice/getkflist',
  '/cgi-bin/draft/add',
  '/cgi-bin/draft/get',
  '/cgi-bin/freepublish/batchget',
  '/cgi-bin/freepublish/submit',
  '/cgi-bin/get_api_domain_ip',
  '/cgi-bin/get_current_selfmenu_info',
  '/cgi-bin/getcallbackip',
  '/cgi-bin/material/add_material',
  '/cgi-bin/material/batchget_material',
  '/cgi-bin/material/del_material',
  '/cgi-bin/material/get_material',
  '/cgi-bin/material/get_materialcount',
  '/cgi-bin/media/get',
  '/cgi-bin/media/get/jssdk',
  '/cgi-bin/media/upload',
  '/cgi-bin/media/uploadimg',
  '/cgi-bin/menu/create',
  '/cgi-bin/menu/delete',
  '/cgi-bin/menu/get',
  '/cgi-bin/message/custom/send',
  '/cgi-bin/message/custom/typing',
  '/cgi-bin/message/mass/send',
  '/cgi-bin/message/mass/sendall',
  '/cgi-bin/message/template/send',
  '/cgi-bin/message/subscribe/bizsend',
  '/cgi-bin/qrcode/create',
  '/cgi-bin/showqrcode',
  '/cgi-bin/tags/create',
  '/cgi-bin/tags/get',
  '/cgi-bin/tags/members/batchtagging',
  '/cgi-bin/tags/members/batchuntagging',
  '/cgi-bin/template/get_all_private_template',
  '/cgi-bin/user/info/updateremark',
  '/cgi-bin/user/tag/get',
]);

/** The `path` label of an upstream call: its own name when listed, else `/cgi-bin/*` or `/sns/*`. */
export function upstreamPathLabel(path: string): string {
  if (NAMED.has(path)) return path;
  if (path.startsWith('/sns/')) return '/sns/*';
  return path.startsWith('/cgi-bin/') ? '/cgi-bin/*' : 'other';
}
