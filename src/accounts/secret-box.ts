import type { CallbackConfig } from '../config/gateway-schema.js';
import type { Config } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import { parseEncryptionKey, sealedKeyId, TokenCipher } from '../oauth/token-cipher.js';
import { CallbackBody } from './account-input.js';

/** The environment variable read for the secrets key when the configuration names none. */
export const SECRETS_KEY_ENV = 'WXHUB_SECRET_KEY';

/** How a person is told to provide the key. */
export const SECRETS_KEY_HINT = `set ${SECRETS_KEY_ENV} (32 bytes as base64 or 64 hex digits, e.g. \`openssl rand -base64 32\`) or "secretsKey": "env:NAME" in the configuration`;

/** What a box seals for an account, each with the command that sets it again. */
const SEALED = {
  appsecret: { what: 'appsecret', fix: 'wxhub accounts set-secret' },
  callback: { what: 'callback settings (Token, EncodingAESKey)', fix: 'wxhub accounts set-callback' },
} as const;
type Sealed = keyof typeof SEALED;

/**
 * The associated data of a sealed value: one copied into another account's row, or an appsecret
 * moved into the callback column, does not open.
 */
function context(appid: string, kind: Sealed): string {
  return `wxhub:${kind}:${appid}`;
}

/**
 * Seals and opens the appsecrets and callback settings of runtime accounts for the database, with the AES-256-GCM
 * cipher the login flow uses for web tokens (src/oauth/token-cipher.ts), bound to the appid.
 * Errors name key ids (8 hex digits of the key's SHA-256), never a key or a secret.
 */
export class SecretBox {
  readonly #cipher: TokenCipher;

  constructor(key: Buffer) {
    this.#cipher = new TokenCipher(key);
  }

  /**
   * The box of the configured key: `secretsKey` of the configuration, else `$WXHUB_SECRET_KEY`;
   * null when neither is set. A malformed key is `WXHUB_ERR_INVALID_CONFIG` naming where it came from.
   */
  static fromConfig(
    config: Pick<Config, 'secretsKey'>,
    env: NodeJS.ProcessEnv = process.env,
  ): SecretBox | null {
    if (config.secretsKey) return new SecretBox(parseEncryptionKey(config.secretsKey, 'secretsKey'));
    const text = env[SECRETS_KEY_ENV];
    if (!text) return null;
    return new SecretBox(parseEncryptionKey(text, SECRETS_KEY_ENV));
  }

  /** Which key this is, as sealed values name it. */
  get keyId(): string {
    return this.#cipher.keyId;
  }

  seal(appid: string, secret: string): string {
    return this.#cipher.seal(secret, context(appid, 'appsecret'));
  }

  /** Seals an account's push URL settings (its Token and EncodingAESKey are secrets) and its reply subscriber. */
  sealCallback(appid: string, callback: CallbackConfig): string {
    const { token, encodingAESKey, mode, reply } = callback;
    return this.#cipher.seal(
      JSON.stringify({ token, encodingAESKey, mode, reply }),
      context(appid, 'callback'),
    );
  }

  /**
   * The push URL settings of `appid`, checked again with the configuration's schema; errors as
   * `open`'s, and `WXHUB_ERR_SECRETS_KEY` for settings that open but do not validate.
   */
  openCallback(appid: string, sealed: string): CallbackConfig {
    const text = this.#open(appid, sealed, 'callback');
    let parsed: ReturnType<typeof CallbackBody.safeParse> | undefined;
    try {
      parsed = CallbackBody.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) return parsed.data;
    throw new WxhubError(
      'WXHUB_ERR_SECRETS_KEY',
      `the stored callback settings of ${appid} are not valid: set them again with ${SEALED.callback.fix}`,
    );
  }

  /**
   * The appsecret of `appid`, or `WXHUB_ERR_SECRETS_KEY`: sealed with another key (the ids are
   * named), or not openable with this one (tampered with, or copied from another account).
   */
  open(appid: string, sealed: string): string {
    return this.#open(appid, sealed, 'appsecret');
  }

  #open(appid: string, sealed: string, kind: Sealed): string {
    const opened = this.#cipher.open(sealed, context(appid, kind));
    if (opened !== null) return opened;
    const { what, fix } = SEALED[kind];
    const sealedWith = sealedKeyId(sealed);
    if (sealedWith !== undefined && sealedWith !== this.keyId) {
      throw new WxhubError(
        'WXHUB_ERR_SECRETS_KEY',
        `the ${what} of ${appid} was sealed with key ${sealedWith}, but the configured secrets key is ${this.keyId}: start the hub with the key that sealed it`,
      );
    }
    throw new WxhubError(
      'WXHUB_ERR_SECRETS_KEY',
      `the stored ${what} of ${appid} does not open with key ${this.keyId} (altered in the database?): set it again with ${fix}`,
    );
  }
}

/** The error of a database holding sealed appsecrets while no key is configured. */
export function missingSecretsKey(what: string): WxhubError {
  return new WxhubError('WXHUB_ERR_SECRETS_KEY', `${what}: ${SECRETS_KEY_HINT}`);
}
