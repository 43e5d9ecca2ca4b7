/**
 * The one stylesheet of the pages, served at `/assets/wxhub.css` (CSP `style-src 'self'`, so no
 * inline styles anywhere). WeChat's green, system fonts with PingFang/YaHei for Chinese and a
 * colour emoji font last (WeChat nicknames are full of emoji), cards that stack on a phone, and
 * tables that turn into labelled cards under 600 px rather than squeezing openids into columns.
 */
export const STYLESHEET = `
:root{--green:#07c160;--green-dark:#06ad56;--ink:#191919;--muted:#7a7a7a;--line:#e7e7e7;--bg:#f3f4f6;--red:#e64340;--amber:#f0a020;--card:#fff;--sans:-apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif,"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji"}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 var(--sans);background:var(--bg);color:var(--ink)}
a{color:#576b95;text-decoration:none}a:hover{text-decoration:underline}
.top{background:#fff;border-bottom:1px solid var(--line)}
.top .bar{max-width:1080px;margin:0 auto;padding:10px 16px;display:flex;align-items:center;gap:16px;flex-wrap:wrap}
.brand{font-weight:700;color:var(--ink);display:flex;align-items:center;gap:8px}
.brand .dot{width:22px;height:22px;border-radius:6px;background:var(--green);display:inline-block}
.top nav{display:flex;gap:14px;align-items:center;flex-wrap:wrap;margin-left:auto;font-size:14px}
.top nav form{margin:0}
main{max-width:1080px;margin:0 auto;padding:20px 16px 40px}
main.narrow{max-width:560px}
h1{font-size:24px;margin:8px 0 6px}h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 8px}
.en{color:var(--muted);font-weight:400}
.lead{color:#444;margin:0 0 18px}
.muted{color:var(--muted);font-size:13px}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace,"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji";font-size:13px;overflow-wrap:break-word}
.nowrap,td.openid{white-space:nowrap}
.tag{display:inline-block;font-size:11px;padding:0 6px;border-radius:4px;background:#f2f2f2;color:#888}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px;margin:0 0 16px}
.cards .card{margin:0}
.btn{display:inline-block;border:0;border-radius:8px;padding:10px 18px;font-size:15px;cursor:pointer;background:#f2f2f2;color:var(--ink);text-align:center;font-family:inherit}
.btn:hover{text-decoration:none;filter:brightness(.97)}
.btn.primary{background:var(--green);color:#fff}
.btn.primary .en{color:#e8fff1}
.btn.wechat{display:flex;align-items:center;justify-content:center;gap:10px;width:100%;padding:12px 18px;font-size:16px}
.btn.small{padding:5px 12px;font-size:13px}
.btn.link{background:none;color:#576b95;padding:0}
.row{display:flex;gap:10px;flex-wrap:wrap;align-items:center}
.stack>*+*{margin-top:10px}
.account-head{display:flex;align-items:center;gap:12px;margin-bottom:14px}
.logo{width:44px;height:44px;border-radius:10px;background:var(--green);color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700;font-size:18px;flex:none}
.logo.c1{background:#2782d7}.logo.c2{background:#fa9d3b}.logo.c3{background:#10aeff}.logo.c4{background:#6467f0}
.flash{border-radius:8px;padding:10px 14px;margin:0 0 16px;background:#e8f7ee;color:#05753f}
.flash.error{background:#fdecec;color:#a32d2a}
.flash.warn{background:#fff6e5;color:#8a5a00}
.profile{display:flex;gap:20px;align-items:flex-start;flex-wrap:wrap}.profile>div{flex:1;min-width:180px}
.avatar{border-radius:10px;background:#eee;object-fit:cover;flex:none}
.avatar.big{width:132px;height:132px}
.avatar.none{display:flex;align-items:center;justify-content:center;color:var(--muted);font-size:12px;text-align:center}
.sizes{display:flex;gap:14px;align-items:flex-end;flex-wrap:wrap;margin-top:8px}
.sizes figure{margin:0;text-align:center;font-size:12px;color:var(--muted)}
.sizes img{display:block;border-radius:6px;background:#eee;margin:0 auto 4px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:0}
dl.facts dt{color:var(--muted);font-size:13px;padding-top:2px}
dl.facts dd{margin:0;min-width:0}
.badge{display:inline-block;font-size:12px;padding:1px 8px;border-radius:10px;background:#f2f2f2;color:#666;white-space:nowrap}
.profile .badge{white-space:normal}
.badge.ok{background:#e8f7ee;color:#05753f}
.badge.bad{background:#fdecec;color:#a32d2a}
.badge.warn{background:#fff6e5;color:#8a5a00}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(128px,1fr));gap:10px;margin:0 0 14px}
.stat{background:#fafafa;border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.stat .label{font-size:12px;color:var(--muted)}
.stat .value{font-size:20px;font-weight:600}
.stat .sub{font-size:12px;color:var(--muted)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid #f0f0f0;vertical-align:middle}
th{color:var(--muted);font-weight:500;white-space:nowrap}
td.num,th.num{text-align:right}
.follower{display:flex;align-items:center;gap:10px}
.follower img,.follower .avatar{width:36px;height:36px}
.chart{margin:0 0 14px}
.chart-plot{position:relative;height:96px;margin-left:34px;border-left:1px solid #ccc;border-bottom:1px solid #ccc}
.chart-plot svg{display:block;width:100%;height:100%}
.chart .bar{fill:#7fd3a4}.chart .bar.err{fill:var(--red)}
.chart-y{position:absolute;right:100%;margin-right:5px;font-size:11px;line-height:1;color:#888}.chart-y.ymax{top:0}.chart-y.y0{bottom:0}
.chart-empty{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;font-size:12px;color:#888;text-align:center}
.chart-x{display:flex;justify-content:space-between;margin-left:34px;font-size:11px;color:#888}
.section-head{display:flex;align-items:center;gap:10px;flex-wrap:wrap;margin-bottom:6px}.section-head h2{margin:0}.section-head .push{margin-left:auto}
.pager{display:flex;gap:12px;align-items:center;margin-top:10px;font-size:14px}
#sync-status .flash{margin:8px 0}#sync-status .errmsg{overflow-wrap:anywhere}
form.inline{display:inline}
label.field{display:block;margin:12px 0 6px;font-weight:500}
input[type=password],input[type=text]{width:100%;font:inherit;padding:10px 12px;border:1px solid #d0d0d0;border-radius:8px}
.steps{margin:0;padding-left:20px;color:#444}
.qr{text-align:center}.qr img{width:240px;height:240px;max-width:100%;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
.steps li{margin:4px 0}
footer{max-width:1080px;margin:0 auto;padding:0 16px 30px;color:var(--muted);font-size:12px}
@media (max-width:600px){h1{font-size:20px}.card{padding:14px}dl.facts{grid-template-columns:1fr}dl.facts dt{padding-top:6px}.hide-sm{display:none}
.table-cards thead{display:none}
.table-cards,.table-cards tbody,.table-cards tr,.table-cards td{display:block}
.table-cards tr{padding:8px 0;border-bottom:1px solid #f0f0f0}
.table-cards td{border:0;padding:2px 0}.table-cards td.num{text-align:left}.table-cards td.empty,.table-cards td.hide-sm{display:none}
.table-cards td.path{overflow-wrap:anywhere}
.table-cards td[data-label]::before{content:attr(data-label);display:inline-block;min-width:6.5em;margin-right:8px;font:12px/1.5 var(--sans);color:var(--muted);white-space:normal}}
`;
