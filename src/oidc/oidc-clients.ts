import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AdapterPayload, ClientMetadata } from 'oidc-provider';
import type { AccountConfig, Config } from '../config/index.js';
import type { Database } from '../db/index.js';
import { WxhubError } from '../errors/index.js';
import { hashKeySecret } from '../hub/keys/client-key-format.js';
import type { Clock } from '../util/clock.js';
import type { SigningAlg } from './signing-keys.js';

/** A relying party as the config writes it (`oidc.clients[]`). */
export type OidcClientConfig = Config['oidc']['clients'][number];

/** A client created with `wxhub oidc clients create`: its secret only as a SHA-256. */
export interface StoredOidcClient {
  readonly client_id: string;
  /** Hex SHA-256 of the secret (256 random bits, so a fast hash is the right one); absent: public. */
  readonly client_secret_sha256?: string;
  readonly token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post';
  readonly redirect_uris: string[];
  readonly post_logout_redirect_uris: string[];
  readonly appid: string;
  readonly websiteAppid?: string;
  readonly pairwise: boolean;
  /** Absent: RS256. */
  readonly id_token_signed_response_alg?: SigningAlg;
  /** Epoch ms. */
  readonly created_at: number;
}

/** What a relying party is tied to: the Official Account and the optional website app. */
export interface ClientAccounts {
  readonly appid: string;
  readonly websiteAppid?: string;
}

/** The settings row listing runtime clients (JSON, hashes only). */
export const RUNTIME_CLIENTS_SETTING = 'oidc.clients';
/** Marks a `client_secret` that holds a hash (runtime clients), for `compareClientSecret`. */
export const HASHED_SECRET_PREFIX = 'sha256:';
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * The oidc-provider metadata of a client: the authorization code flow only (with refresh tokens
 * under `offline_access`), exact redirect URIs, ID tokens signed RS256 unless it asks for ES256, and the WeChat accounts it logs
 * in with as extra metadata (`appid`, `website_appid`).
 */
export function clientMetadata(client: OidcClientConfig | StoredOidcClient): ClientMetadata {
  const secret =
    'client_secret_sha256' in client && client.client_secret_sha256
      ? `${HASHED_SECRET_PREFIX}${client.client_secret_sha256}`
      : 'client_secret' in client
        ? client.client_secret
        : undefined;
  return {
    client_id: client.client_id,
    ...(secret ? { client_secret: secret } : {}),
    token_endpoint_auth_method: secret
      ? (client.token_endpoint_auth_method ?? 'client_secret_basic')
      : 'none',
    redirect_uris: [...client.redirect_uris],
    post_logout_redirect_uris: [...client.post_logout_redirect_uris],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: client.id_token_signed_response_alg ?? 'RS256',
    subject_type: client.pairwise ? 'pairwise' : 'public',
    appid: client.appid,
    ...(client.websiteAppid ? { website_appid: client.websiteAppid } : {}),
  };
}

/** `compareClientSecret` for a client secret kept as `sha256:HEX` (constant time), else plain. */
export function secretMatches(stored: string, presented: string): boolean {
  const [want, got] = stored.startsWith(HASHED_SECRET_PREFIX)
    ? [stored.slice(HASHED_SECRET_PREFIX.length), hashKeySecret(presented)]
    : [stored, presented];
  const a = Buffer.from(want);
  const b = Buffer.from(got);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Problems with the clients' accounts: each `appid` must be a configured Official Account, each
 * `websiteAppid` an `accounts` entry with `kind: "website"`, and client ids unique. Empty: fine.
 */
export function clientProblems(
  clients: readonly ClientAccounts[],
  accounts: readonly AccountConfig[],
  where: (index: number, field: 'appid' | 'websiteAppid') => string,
): string[] {
  const kinds = new Map(accounts.map((a) => [a.appid, a.kind ?? 'official']));
  const problems: string[] = [];
  clients.forEach((client, i) => {
    if (kinds.get(client.appid) !== 'official')
      problems.push(`${where(i, 'appid')} ${client.appid} is not a configured Official Account`);
    if (client.websiteAppid !== undefined && kinds.get(client.websiteAppid) !== 'website')
      problems.push(
        `${where(i, 'websiteAppid')} ${client.websiteAppid} is not an accounts entry with "kind": "website"`,
      );
  });
  return problems;
}

/** What `create` takes: a client without its id, secret or birth (generated). */
export interface NewOidcClient {
  readonly client_id?: string;
  readonly public?: boolean;
  readonly redirect_uris: readonly string[];
  readonly post_logout_redirect_uris?: readonly string[];
  readonly appid: string;
  readonly websiteAppid?: string;
  readonly pairwise?: boolean;
  /** Absent: RS256. */
  readonly id_token_signed_response_alg?: SigningAlg;
}

/**
 * The clients created at runtime (`wxhub oidc clients create|list|remove`), one JSON list in the
 * database settings shared by the fleet, changed with compare-and-set. Hubs read it when the
 * provider meets a client id it does not know from the config (cached for a few seconds).
 */
export class RuntimeClients {
  #cache: { at: number; clients: StoredOidcClient[] } | undefined;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly cacheMs = 5000,
  ) {}

  /** Every runtime client, oldest first. */
  async list(): Promise<StoredOidcClient[]> {
    const raw = await this.database.settings.get(RUNTIME_CLIENTS_SETTING);
    const clients = raw === null ? [] : (JSON.parse(raw) as StoredOidcClient[]);
    this.#cache = { at: this.clock.now(), clients };
    return clients;
  }

  /** The client `clientId`, from a list at most `cacheMs` old. */
  async find(clientId: string): Promise<StoredOidcClient | undefined> {
    const cached = this.#cache;
    const clients =
      cached && this.clock.now() - cached.at < this.cacheMs ? cached.clients : await this.list();
    return clients.find((c) => c.client_id === clientId);
  }

  /** Creates a client; resolves it and its secret (null for a public client), the only time it exists. */
  async create(input: NewOidcClient): Promise<{ client: StoredOidcClient; secret: string | null }> {
    const clientId = input.client_id ?? `wxc_${randomBytes(12).toString('base64url')}`;
    if (!CLIENT_ID.test(clientId))
      throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', 'client_id must be 1-128 of [A-Za-z0-9._~-]');
    const secret = input.public ? null : randomBytes(32).toString('base64url');
    const client: StoredOidcClient = {
      client_id: clientId,
      ...(secret ? { client_secret_sha256: hashKeySecret(secret) } : {}),
      redirect_uris: [...input.redirect_uris],
      post_logout_redirect_uris: [...(input.post_logout_redirect_uris ?? [])],
      appid: input.appid,
      ...(input.websiteAppid ? { websiteAppid: input.websiteAppid } : {}),
      pairwise: input.pairwise ?? false,
      ...(input.id_token_signed_response_alg
        ? { id_token_signed_response_alg: input.id_token_signed_response_alg }
        : {}),
      created_at: this.clock.now(),
    };
    await this.#change((clients) => {
      if (clients.some((c) => c.client_id === clientId))
        throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `client_id ${clientId} exists`);
      return [...clients, client];
    });
    return { client, secret };
  }

  /** Removes a client; false when there was none. Its tokens stop working as they are next used. */
  async remove(clientId: string): Promise<boolean> {
    let removed = false;
    await this.#change((clients) => {
      const kept = clients.filter((c) => c.client_id !== clientId);
      removed = kept.length !== clients.length;
      return kept;
    });
    return removed;
  }

  async #change(change: (clients: StoredOidcClient[]) => StoredOidcClient[]): Promise<void> {
    for (;;) {
      const before = await this.database.settings.putIfAbsent(RUNTIME_CLIENTS_SETTING, '[]');
      const next = JSON.stringify(change(JSON.parse(before) as StoredOidcClient[]));
      if (await this.database.settings.compareAndSet(RUNTIME_CLIENTS_SETTING, before, next)) {
        this.#cache = undefined;
        return;
      }
    }
  }
}

/** A runtime client as the adapter hands it to oidc-provider. */
export function runtimeClientPayload(client: StoredOidcClient): AdapterPayload {
  return clientMetadata(client) as AdapterPayload;
}
