import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Store } from '../store/store.js';
import type { Clock } from '../util/clock.js';

/** How long a model saved without an expiry is kept, and a grant's revocation remembered, ms. */
const LONGEST_MS = 31 * 24 * 3600 * 1000;

/** What the adapter keeps under each key: the payload and when it expires (for `consume`). */
interface Stored {
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

/** Where `Client` lookups of ids not in the config go (the runtime clients). */
export type ClientLookup = (clientId: string) => Promise<AdapterPayload | undefined>;

/**
 * The models `revokeByGrantId` ends, as oidc-provider's own adapter indexes them by grant. Not an
 * Interaction: one that carries the grant of a session being replaced (another person logging
 * in) must survive that session's logout to finish.
 */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

const key = (model: string, id: string) => `oidc:${model}:${id}`;
const uidKey = (uid: string) => `oidc:uid:${uid}`;
const revokedKey = (grantId: string) => `oidc:revoked-grant:${grantId}`;

/**
 * The `oidc-provider` adapter on the hub's Store (memory, SQLite, Redis or PostgreSQL, as the
 * config says), so every hub of a fleet sharing the store is one provider: a login started on
 * one hub finishes on another. Each model instance is a TTL'd document (`Store.setDocument`).
 *
 * `revokeByGrantId` writes a revocation marker for the grant instead of walking an index of its
 * tokens: `find` refuses any token of a revoked grant, which is atomic on every backend and needs
 * no list operation. Clients are not stored here: `Client` lookups go to `clients`.
 * @see https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js
 */
export function storeAdapter(store: Store, clock: Clock, clients: ClientLookup) {
  return class StoreAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const ttlMs = expiresIn && expiresIn > 0 ? Math.ceil(expiresIn * 1000) : LONGEST_MS;
      const stored: Stored = { payload, expiresAt: clock.now() + ttlMs };
      await store.setDocument(key(this.#model, id), JSON.stringify(stored), ttlMs);
      if (payload.uid) await store.setDocument(uidKey(payload.uid), id, ttlMs);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === 'Client') return clients(id);
      return (await this.#read(id))?.payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await store.getDocument(uidKey(uid));
      return id === null ? undefined : this.find(id);
    }

    /** Device flow is not enabled: there are no user codes. */
    async findByUserCode(_userCode: string): Promise<undefined> {
      return undefined;
    }

    async consume(id: string): Promise<void> {
      const stored = await this.#read(id);
      if (!stored) return;
      const left = stored.expiresAt - clock.now();
      if (left <= 0) return;
      const consumed: Stored = {
        ...stored,
        payload: { ...stored.payload, consumed: Math.floor(clock.now() / 1000) },
      };
      await store.setDocument(key(this.#model, id), JSON.stringify(consumed), left);
    }

    async destroy(id: string): Promise<void> {
      await store.deleteDocument(key(this.#model, id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.setDocument(revokedKey(grantId), '1', LONGEST_MS);
    }

    async #read(id: string): Promise<Stored | undefined> {
      const raw = await store.getDocument(key(this.#model, id));
      if (raw === null) return undefined;
      let stored: Stored;
      try {
        stored = JSON.parse(raw) as Stored;
      } catch {
        return undefined;
      }
      const { grantId } = stored.payload ?? {};
      if (
        GRANTABLE.has(this.#model) &&
        typeof grantId === 'string' &&
        (await store.getDocument(revokedKey(grantId))) !== null
      )
        return undefined;
      return stored;
    }
  };
}
