import type { Socket } from 'node:net';
import type { Clock } from '../../util/clock.js';
import { AvatarCache } from '../avatar-image.js';
import { FaultRegistry } from '../faults.js';
import { Outbound } from '../push/outbound.js';
import type { SimFixture } from '../types.js';
import { conversationOf, type SimUser } from './account.js';
import { AccountRegistry } from './accounts.js';
import type { InboxEntry } from './conversation.js';
import { GlobalTokens } from './global-tokens.js';
import { InboxWaiters, inboxKey } from './inbox-waiters.js';
import { OAuthGrants } from './oauth-grants.js';
import { QrCodes } from './qrcodes.js';
import { QuotaCounters } from './quotas.js';
import { SimStats } from './stats.js';
import { VirtualClock } from './virtual-clock.js';

export interface SimStateOptions {
  /** Base clock; virtual time is this plus the offset that `POST /__sim/clock` adds. */
  readonly clock?: Clock;
  /** Loaded at start and again by a full reset. */
  readonly fixture?: SimFixture | null;
  /** Origin for generated avatar URLs; default: the request's own origin. */
  readonly baseUrl?: string;
  /** Dice for fault rates (tests make it deterministic). */
  readonly random?: () => number;
}

/**
 * Everything the simulator knows, in one place the routes share: accounts and users, the
 * virtual clock, tokens, OAuth grants, QR codes, quota counters, stats and faults; and its
 * calls out to developers' servers.
 */
export class SimState {
  readonly clock: VirtualClock;
  readonly accounts = new AccountRegistry();
  readonly tokens = new GlobalTokens();
  readonly grants = new OAuthGrants();
  readonly quotas = new QuotaCounters();
  readonly stats = new SimStats();
  readonly faults: FaultRegistry;
  readonly avatars = new AvatarCache();
  readonly qrcodes = new QrCodes();
  /** URL checks and pushes to developers' servers. */
  readonly outbound = new Outbound();
  readonly inboxWaiters = new InboxWaiters();
  readonly baseUrl: string | undefined;
  /** Sockets of requests a hang fault is holding: destroyed when the server closes. */
  readonly held = new Set<Socket>();
  /** Pending fault delays: cleared when the server closes. */
  readonly timers = new Set<NodeJS.Timeout>();
  readonly #fixture: SimFixture | null;

  constructor(options: SimStateOptions = {}) {
    this.clock = new VirtualClock(options.clock);
    this.faults = new FaultRegistry(options.random);
    this.baseUrl = options.baseUrl?.replace(/\/+$/, '');
    this.#fixture = options.fixture ?? null;
    if (this.#fixture) this.accounts.load(this.#fixture, this.clock.now());
  }

  now(): number {
    return this.clock.now();
  }

  /** A message reaches a user's inbox (and wakes whoever long-polls it). */
  receiveMessage(appid: string, user: SimUser, entry: Omit<InboxEntry, 'seq'>): InboxEntry {
    const stored = conversationOf(user).receive(entry);
    this.inboxWaiters.notify(inboxKey(appid, user.openid));
    return stored;
  }

  /** `POST /__sim/reset`: zero the counters of `/__sim/stats`. */
  resetStats(): void {
    this.stats.reset();
  }

  /** `POST /__sim/reset {"all":true}`: back to the state right after start (fixture reloaded). */
  resetAll(): void {
    this.stats.reset();
    this.faults.clear();
    this.tokens.clear();
    this.grants.clear();
    this.qrcodes.clear();
    this.quotas.clear();
    this.clock.reset();
    this.accounts.clear();
    if (this.#fixture) this.accounts.load(this.#fixture, this.clock.now());
  }

  /**
   * Releases requests held by faults (destroying their sockets) and pending delays, aborts
   * pushes in flight and ends inbox long polls.
   */
  releaseHeld(): void {
    this.outbound.close();
    this.inboxWaiters.releaseAll();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }
}
