import { describe, expect, it } from 'vitest';
import {
  avatarIdFor,
  newAccessToken,
  newCode,
  newOpenid,
  newRefreshToken,
  newRid,
  newTicket,
  newUnionid,
  seededOpenid,
} from '../../src/sim/ids.js';

describe('ids', () => {
  it('makes credentials of 100–512 characters of [A-Za-z0-9_-]', () => {
    for (const make of [newAccessToken, newRefreshToken, newTicket]) {
      const value = make();
      expect(value).toMatch(/^[A-Za-z0-9_-]{100,512}$/);
      expect(make()).not.toBe(value);
    }
    expect(newCode()).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('makes openids and unionids shaped like oLVPpjqs9BhvzwPj5A-vTYAX3GLc', () => {
    expect(newOpenid()).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(newUnionid()).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(seededOpenid('x')).toBe(seededOpenid('x'));
    expect(seededOpenid('x')).not.toBe(seededOpenid('y'));
    expect(avatarIdFor('x')).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  it('makes rids of three 8-hex groups', () => {
    expect(newRid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });
});
