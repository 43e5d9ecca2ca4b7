import { html, type SafeHtml } from './html.js';

/** Where the stylesheet is served (see `STYLESHEET`). */
export const STYLESHEET_PATH = '/assets/wxhub.css';

/**
 * Chinese and English side by side, as the simulator's consent page does: `登录 / Log in`. Both
 * languages are always on the page, so a reader of either (and a test looking for either) finds
 * its words without a toggle.
 */
export function bi(zh: string, en: string): SafeHtml {
  return html`${zh} <span class="en" lang="en">/ ${en}</span>`;
}

/** `bi` as plain text, for `<title>` and attributes. */
export function biText(zh: string, en: string): string {
  return `${zh} / ${en}`;
}

export interface PageOptions {
  readonly title: string;
  readonly brand: SafeHtml;
  readonly brandHref: string;
  readonly nav?: SafeHtml;
  readonly body: SafeHtml;
  /** A reading-width column (forms, the profile). */
  readonly narrow?: boolean;
  readonly footer?: SafeHtml;
  /** More of `<head>` (a meta refresh, a hashed script). */
  readonly head?: SafeHtml;
}

/** The page shell: a top bar, a main column and a footer. */
export function page(options: PageOptions): string {
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${options.title}</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
${options.head ?? ''}</head>
<body>
<header class="top"><div class="bar">
<a class="brand" href="${options.brandHref}"><span class="dot"></span>${options.brand}</a>
<nav>${options.nav ?? ''}</nav>
</div></header>
<main${options.narrow ? html` class="narrow"` : ''}>
${options.body}
</main>
<footer>${options.footer ?? ''}</footer>
</body>
</html>
`.value;
}

/** An account's badge: the first letter of the last word of its name, in one of five colours. */
export function accountLogo(name: string, appid: string): SafeHtml {
  const words = name.trim().split(/\s+/);
  const letter = ([...(words[words.length - 1] ?? '')][0] ?? '?').toUpperCase();
  let hash = 0;
  for (const ch of appid) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return html`<div class="logo c${hash % 5}" aria-hidden="true">${letter}</div>`;
}
