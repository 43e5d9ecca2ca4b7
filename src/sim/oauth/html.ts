/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;background:#ededed;color:#191919}
main{max-width:480px;margin:0 auto;background:#fff;min-height:100vh;padding:24px 20px;box-sizing:border-box}
h1{font-size:20px;margin:8px 0 16px}
.scope{background:#f7f7f7;border-radius:6px;padding:12px;margin:12px 0;font-size:14px}
.muted{color:#888;font-size:12px;word-break:break-all}
ul{list-style:none;padding:0;margin:0}
li label{display:flex;align-items:center;gap:12px;padding:10px 4px;border-bottom:1px solid #f0f0f0;cursor:pointer}
li img{width:40px;height:40px;border-radius:4px;background:#eee}
.badge{font-size:11px;padding:1px 6px;border-radius:8px;background:#e8f7ee;color:#07c160}
.badge.no{background:#f2f2f2;color:#999}
.actions{display:flex;gap:12px;margin-top:20px;position:sticky;bottom:0;background:#fff;padding:12px 0;box-shadow:0 -8px 8px -8px rgba(0,0,0,.15)}
button{flex:1;font-size:17px;padding:11px;border:0;border-radius:6px;cursor:pointer}
button.allow{background:#07c160;color:#fff}
button.deny{background:#f2f2f2;color:#07c160}
.error{text-align:center;padding-top:80px}
.code{font-size:14px;color:#888}
`;

/** A mobile-first page in WeChat's colours. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** The authorize host's error page: WeChat's "Oops" with the errcode, plus the simulator's reason. */
export function errorPage(errcode: number, message: string, detail: string): string {
  return page(
    `微信授权出错 / Authorization error ${errcode}`,
    `<main class="error" data-errcode="${errcode}">
<h1>Oops! Something went wrong:(</h1>
<p class="code">错误码 / Error code: <strong id="errcode">${errcode}</strong></p>
<p>${escapeHtml(message)}</p>
<p class="muted">${escapeHtml(detail)}</p>
</main>`,
  );
}
