import { describe, expect, it } from 'vitest';
import { formatDuration, formatTime, toEpochMs } from '../../src/web/html/format.js';
import { escapeHtml, html, raw, SafeHtml, safeUrl } from '../../src/web/html/html.js';
import { bi } from '../../src/web/html/layout.js';

describe('html templates', () => {
  it('escape every interpolated value: text cannot become markup or leave an attribute', () => {
    const nickname = `<script>alert("x")</script>' onload='x`;
    const out = html`<p title="${nickname}">${nickname}</p>`.value;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x</p>',
    );
    expect(escapeHtml('a & b')).toBe('a &amp; b');
  });

  it('keep nested templates and arrays of them, and drop null, undefined and false', () => {
    const items = ['<a>', 'b'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.value).toBe(
      '<ul><li>&lt;a&gt;</li><li>b</li></ul>0',
    );
    expect(html`${raw('<br>')}`.value).toBe('<br>');
    expect(bi('登录', 'Log <in>')).toBeInstanceOf(SafeHtml);
    expect(bi('登录', 'Log <in>').value).toBe('登录 <span class="en" lang="en">/ Log &lt;in&gt;</span>');
  });

  it('safeUrl lets only http(s) URLs into src and href', () => {
    expect(safeUrl('http://127.0.0.1:3001/mmopen/abc/132')).toBe('http://127.0.0.1:3001/mmopen/abc/132');
    expect(safeUrl('https://thirdwx.qlogo.cn/mmopen/x/0')).toBe('https://thirdwx.qlogo.cn/mmopen/x/0');
    expect(safeUrl('javascript:alert(1)')).toBe('');
    expect(safeUrl('data:image/png;base64,AAAA')).toBe('');
    expect(safeUrl('/relative')).toBe('');
    expect(safeUrl(null)).toBe('');
  });
});

describe('formatting', () => {
  it('times in Beijing time from seconds, milliseconds or ISO strings', () => {
    const ms = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(formatTime(ms)).toBe('2026-01-01 20:00:00');
    expect(formatTime(ms / 1000)).toBe('2026-01-01 20:00:00');
    expect(formatTime('2026-01-01T12:00:00Z')).toBe('2026-01-01 20:00:00');
    expect(formatTime(null)).toBe('—');
    expect(toEpochMs('garbage')).toBeNull();
  });

  it('durations for people', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(200_000)).toBe('3 min 20 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(-5_000)).toBe('-5 s');
    expect(formatDuration(3 * 86_400_000)).toBe('3 d 0 h');
  });
});
