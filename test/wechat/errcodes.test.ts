import { describe, expect, it } from 'vitest';
import { errAction, errmsgFor, TOKEN_INVALID_ERRCODES } from '../../src/wechat/errcodes.js';

describe('errcodes', () => {
  it('treats exactly 40001, 40014, 42001 as a dead token', () => {
    expect([...TOKEN_INVALID_ERRCODES].sort()).toEqual([40001, 40014, 42001]);
    for (const code of TOKEN_INVALID_ERRCODES) expect(errAction(code)).toBe('refresh');
  });

  it('classifies configuration errors so the engine stops refreshing', () => {
    for (const code of [40013, 40125, 40164, 40243]) expect(errAction(code)).toBe('config');
  });

  it('classifies busy and quota', () => {
    expect(errAction(-1)).toBe('retry');
    expect(errAction(45009)).toBe('quota');
    expect(errAction(123456)).toBe('report');
  });

  it('has WeChat messages, and a fallback', () => {
    expect(errmsgFor(40163)).toBe('code been used');
    expect(errmsgFor(999999)).toBe('unknown error');
  });
});
