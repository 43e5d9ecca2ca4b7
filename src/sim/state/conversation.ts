/**
 * What passes between one user and one account outside the API calls: the customer-service
 * windows the user's actions open, the "typing" indicator, and the inbox of messages the user
 * received (passive replies and customer-service messages).
 * @see shared/wechat-api.md §13
 */

/** The user actions that open a customer-service window. */
export type InteractionScene = 'message' | 'menu' | 'subscribe' | 'scan';

/**
 * How many customer-service messages each action allows, and for how long (WeChat's rules since
 * 2023-06: a message 5 within 48 hours; a menu click, a follow, a QR scan 3 within 1 minute).
 */
export const SERVICE_ALLOWANCE: Readonly<Record<InteractionScene, { count: number; ms: number }>> = {
  message: { count: 5, ms: 48 * 3_600_000 },
  menu: { count: 3, ms: 60_000 },
  subscribe: { count: 3, ms: 60_000 },
  scan: { count: 3, ms: 60_000 },
};

/** How long a "Typing" indicator lasts unless cancelled or a message arrives. */
export const TYPING_MS = 15_000;

/** Most inbox entries kept per user; the oldest go first. */
export const INBOX_LIMIT = 1000;

/** A message the user received. */
export interface InboxEntry {
  /** 1, 2, 3… per user, in arrival order (`?after=` pages on it). */
  readonly seq: number;
  /** Virtual epoch milliseconds of arrival. */
  readonly at: number;
  /** `reply`: a passive reply to a push; `custom`: `/cgi-bin/message/custom/send`. */
  readonly source: 'reply' | 'custom';
  /** WeChat's type: text, image, voice, video, music, news, mpnews, msgmenu… */
  readonly msgType: string;
  /** The text of a text message (either source), for convenience. */
  readonly content?: string;
  /** As received: the reply's XML fields, or the customer-service JSON body without `touser`. */
  readonly payload: Record<string, unknown>;
}

interface Window {
  until: number;
  remaining: number;
}

/** One user's customer-service state with one account. */
export class Conversation {
  readonly #windows = new Map<InteractionScene, Window>();
  readonly #inbox: InboxEntry[] = [];
  #seq = 0;
  #typingUntil = 0;
  /** Virtual ms of the last action that opened a window. */
  lastInteractionAt: number | undefined;

  /** The user acted: that scene's window opens afresh (allowances do not add up). */
  interact(scene: InteractionScene, now: number): void {
    const allowance = SERVICE_ALLOWANCE[scene];
    this.#windows.set(scene, { until: now + allowance.ms, remaining: allowance.count });
    this.lastInteractionAt = now;
  }

  /** The user unfollowed: every window closes. */
  closeWindows(): void {
    this.#windows.clear();
  }

  /** True while some window is open, used up or not (typing needs no allowance). */
  isOpen(now: number): boolean {
    for (const window of this.#windows.values()) if (window.until > now) return true;
    return false;
  }

  /**
   * Takes one message from the open window that closes first: 0 when sent, 45015 when no
   * window is open, 45047 when the open windows are used up.
   */
  consume(now: number): 0 | 45015 | 45047 {
    let best: Window | undefined;
    let open = false;
    for (const window of this.#windows.values()) {
      if (window.until <= now) continue;
      open = true;
      if (window.remaining > 0 && (!best || window.until < best.until)) best = window;
    }
    if (!open) return 45015;
    if (!best) return 45047;
    best.remaining--;
    return 0;
  }

  typing(on: boolean, now: number): void {
    this.#typingUntil = on ? now + TYPING_MS : 0;
  }

  isTyping(now: number): boolean {
    return this.#typingUntil > now;
  }

  /** Adds a received message (ending any typing indicator). */
  receive(entry: Omit<InboxEntry, 'seq'>): InboxEntry {
    const stored: InboxEntry = { seq: ++this.#seq, ...entry };
    this.#inbox.push(stored);
    if (this.#inbox.length > INBOX_LIMIT) this.#inbox.shift();
    this.#typingUntil = 0;
    return stored;
  }

  /** Entries after `seq`, oldest first. */
  inboxAfter(seq: number): InboxEntry[] {
    return this.#inbox.filter((entry) => entry.seq > seq);
  }
}
