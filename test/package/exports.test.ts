import { describe, expect, it } from 'vitest';
import * as wxhub from '../../src/index.js';

// The names DESIGN.md promises to `import { ... } from 'wxhub'`.
describe('package exports', () => {
  it('exposes the SDK, the stores, the errors and the hub', () => {
    for (const name of [
      'WeChatClient',
      'HubTokenProvider',
      'WeChatError',
      'WxhubError',
      'avatarUrl',
      'MemoryStore',
      'SqliteStore',
      'RedisStore',
      'PostgresStore',
      'openStore',
      'TokenManager',
      'createHub',
      'jsapiSignature',
      'LiveFollowers',
    ]) {
      expect(wxhub, name).toHaveProperty(name);
    }
  });

  it('stores each have close()', () => {
    const store = new wxhub.MemoryStore();
    expect(typeof store.close).toBe('function');
    for (const Store of [wxhub.SqliteStore, wxhub.RedisStore, wxhub.PostgresStore]) {
      expect(typeof Store.prototype.close).toBe('function');
    }
  });
});
