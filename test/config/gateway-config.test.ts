import { describe, expect, it } from 'vitest';
import { parseConfig, plaintextSecretWarnings } from '../../src/config/index.js';

const APPID = 'wx1234567890abcdef';
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const bot = { name: 'bot', url: 'https://bot.example.com/wx', secret: SECRET };
const withReply = (subscriber: string) => ({
  accounts: [
    { appid: APPID, secret: 's', callback: { token: 'Tok3n', mode: 'plain', reply: { subscriber } } },
  ],
});

describe('gateway configuration', () => {
  it('defaults: no subscribers, 16 partitions, 3 days of retention; callback mode safe', () => {
    const config = parseConfig({});
    expect(config.subscribers).toEqual([]);
    expect(config.gateway).toEqual({
      partitions: 16,
      retentionDays: 3,
      maxSkewSeconds: 300,
      leaseTtlMs: 30_000,
    });
    const account = parseConfig({
      accounts: [{ appid: APPID, secret: 's', callback: { token: 'Tok3n', encodingAESKey: 'k'.repeat(43) } }],
    }).accounts[0];
    expect(account?.callback).toEqual({ token: 'Tok3n', encodingAESKey: 'k'.repeat(43), mode: 'safe' });
  });

  it('reads callback secrets from the environment and parses the three kinds of subscribers', () => {
    const config = parseConfig(
      {
        accounts: [{ appid: APPID, secret: 's', callback: { token: 'env:T', mode: 'plain' } }],
        subscribers: [
          { ...bot, secret: 'env:S', filter: { events: ['subscribe'] } },
          { name: 'mq', amqp: 'amqp://127.0.0.1', exchange: 'wx' },
          { name: 'js', nats: 'nats://127.0.0.1:4222', subject: 'wx.push', appids: [APPID] },
        ],
      },
      { T: 'Tok3n', S: SECRET },
    );
    expect(config.accounts[0]?.callback?.token).toBe('Tok3n');
    expect(config.subscribers.map((s) => s.name)).toEqual(['bot', 'mq', 'js']);
    expect(config.subscribers[0]).toMatchObject({ secret: SECRET, filter: { events: ['subscribe'] } });
  });

  it('refuses a reply subscriber that is missing or a broker sink, and duplicate names, all at once', () => {
    expect(() => parseConfig({ ...withReply('bot'), subscribers: [bot] })).not.toThrow();
    expect(() => parseConfig(withReply('nobody'))).toThrow(
      /accounts\[0\]\.callback\.reply\.subscriber: no subscriber named nobody/,
    );
    expect(() =>
      parseConfig({ ...withReply('mq'), subscribers: [{ name: 'mq', amqp: 'amqp://h', exchange: 'x' }] }),
    ).toThrow(/reply\.subscriber: mq is a broker sink/);
    let message = '';
    try {
      parseConfig({ ...withReply('nobody'), subscribers: [bot, bot], gateway: { partitions: 0 } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/subscribers\[1\]\.name: duplicate subscriber name bot/);
    expect(message).toMatch(/no subscriber named nobody/);
    expect(message).toMatch(/gateway\.partitions/);
  });

  it('refuses a bad mode, a safe mode without key, an unknown field, and a subscriber of no kind', () => {
    const account = (callback: unknown) => ({ accounts: [{ appid: APPID, secret: 's', callback }] });
    expect(() => parseConfig(account({ token: 'Tok3n', mode: 'aes' }))).toThrow(/callback\.mode/);
    expect(() => parseConfig(account({ token: 'Tok3n', mode: 'safe' }))).toThrow(
      /callback\.encodingAESKey: is required in safe mode/,
    );
    expect(() => parseConfig(account({ token: 'Tok3n', mode: 'plain', tokn: 1 }))).toThrow(/tokn/);
    expect(() => parseConfig({ subscribers: [{ name: 'x' }] })).toThrow(/subscribers\[0\]/);
  });

  it('warns of a webhook secret or broker password written in the file, naming the field only', () => {
    const warnings = plaintextSecretWarnings({
      accounts: [{ appid: APPID, secret: 'env:A', callback: { token: 'Tok3n' } }],
      subscribers: [bot, { name: 'mq', amqp: 'amqp://guest:hunter2@127.0.0.1', exchange: 'x' }],
    });
    expect(warnings.join('\n')).toMatch(/accounts\[0\]\.callback\.token: the secret is written/);
    expect(warnings.join('\n')).toMatch(/subscribers\[0\]\.secret: the secret is written/);
    expect(warnings.join('\n')).toMatch(/subscribers\[1\]\.amqp: a password is written/);
    expect(warnings.join('\n')).not.toMatch(/hunter2|whsec_/);
  });
});
