import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DeliveryOutcome } from '../../gateway/deliver/delivery-workers.js';
import type { Gateway } from '../../gateway/gateway.js';
import type { Received } from '../../gateway/receive/push-receiver.js';
import type { Clock } from '../../util/clock.js';

/** Events counted per partition when a scrape measures a consumer's backlog: "at least" past it. */
export const BACKLOG_SCAN_LIMIT = 1000;
/** Ack latencies kept for the dashboard's percentiles. */
const ACK_SAMPLES = 1000;
const MINUTE_MS = 60_000;

/** What the dashboard shows of one subscriber. */
export interface ConsumerStats {
  readonly delivered: number;
  readonly failed: number;
  readonly dead: number;
  readonly lastError: { readonly message: string; readonly at: number } | null;
}

/** The gateway's numbers for the dashboard, from this hub's own traffic. */
export interface GatewaySnapshot {
  readonly pushesLastMinute: number;
  readonly pushes: number;
  readonly duplicates: number;
  readonly refused: number;
  /** Ack latency percentiles of the last ACK_SAMPLES pushes, ms; null before the first. */
  readonly ackP50Ms: number | null;
  readonly ackP99Ms: number | null;
  readonly consumers: Readonly<Record<string, ConsumerStats>>;
}

/**
 * The callback gateway's Prometheus metrics (on the hub's registry) and the live numbers the
 * dashboard shows. Labels are appids, msg types and events as WeChat signed them, registry
 * codes and subscriber names from the configuration or the admin API: never a caller's text
 * (a refused push's appid is not a label, it is any path segment).
 */
export class GatewayMetrics {
  readonly #pushes: Counter<'appid' | 'msg_type' | 'event'>;
  readonly #duplicates: Counter<'appid'>;
  readonly #refused: Counter<'code'>;
  readonly #ack: Histogram;
  readonly #deliveries: Counter<'consumer' | 'outcome'>;
  readonly #clock: Clock;
  #gateway: Gateway | undefined;
  #total = 0;
  #duplicateCount = 0;
  #refusedCount = 0;
  readonly #recent: number[] = [];
  readonly #acks: number[] = [];
  readonly #consumers = new Map<
    string,
    { delivered: number; failed: number; dead: number; lastError: ConsumerStats['lastError'] }
  >();

  constructor(registry: Registry, clock: Clock) {
    const registers = [registry];
    this.#clock = clock;
    this.#pushes = new Counter({
      name: 'wxhub_gateway_pushes_total',
      help: 'Pushes from WeChat accepted and logged, by appid, MsgType and Event',
      labelNames: ['appid', 'msg_type', 'event'],
      registers,
    });
    this.#duplicates = new Counter({
      name: 'wxhub_gateway_duplicates_total',
      help: "WeChat's retries of a push already logged (answered the same, not delivered again)",
      labelNames: ['appid'],
      registers,
    });
    this.#refused = new Counter({
      name: 'wxhub_gateway_refused_total',
      help: 'Pushes refused (forged signature, bad XML, no callback config), by registry code',
      labelNames: ['code'],
      registers,
    });
    this.#ack = new Histogram({
      name: 'wxhub_gateway_ack_seconds',
      help: "Time from a push's arrival to WeChat's answer (signature, decrypt, log commit, reply)",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.#deliveries = new Counter({
      name: 'wxhub_gateway_deliveries_total',
      help: 'Delivery attempts by subscriber and outcome (delivered, failed = will retry, dead = dead letter)',
      labelNames: ['consumer', 'outcome'],
      registers,
    });
    const self = this;
    new Gauge({
      name: 'wxhub_gateway_backlog',
      help: `Events logged but not yet delivered, per subscriber (counted up to ${BACKLOG_SCAN_LIMIT} per partition)`,
      labelNames: ['consumer'],
      registers,
      async collect() {
        this.reset();
        const backlog = await self.backlog().catch(() => ({}));
        for (const [consumer, n] of Object.entries(backlog)) this.set({ consumer }, n);
      },
    });
    new Gauge({
      name: 'wxhub_gateway_dead_letters',
      help: `Dead letters kept per subscriber (counted up to ${BACKLOG_SCAN_LIMIT})`,
      labelNames: ['consumer'],
      registers,
      async collect() {
        this.reset();
        const letters = await self.deadLetters().catch(() => ({}));
        for (const [consumer, n] of Object.entries(letters)) this.set({ consumer }, n);
      },
    });
  }

  /** The gateway whose backlog and dead letters a scrape reads. */
  watch(gateway: Gateway): void {
    this.#gateway = gateway;
  }

  received(received: Received, ackMs: number): void {
    const { event } = received;
    this.#ack.observe(ackMs / 1000);
    this.#acks.push(ackMs);
    if (this.#acks.length > ACK_SAMPLES) this.#acks.shift();
    if (received.duplicate) {
      this.#duplicates.inc({ appid: event.appid });
      this.#duplicateCount++;
      return;
    }
    this.#pushes.inc({ appid: event.appid, msg_type: event.msg_type, event: event.event ?? '' });
    this.#total++;
    const now = this.#clock.now();
    this.#recent.push(now);
    while (this.#recent.length > 0 && this.#recent[0]! <= now - MINUTE_MS) this.#recent.shift();
  }

  refused(code: string): void {
    this.#refused.inc({ code });
    this.#refusedCount++;
  }

  delivery(outcome: DeliveryOutcome): void {
    this.#deliveries.inc({ consumer: outcome.consumer, outcome: outcome.outcome });
    const stats = this.#consumers.get(outcome.consumer) ?? {
      delivered: 0,
      failed: 0,
      dead: 0,
      lastError: null,
    };
    stats[outcome.outcome]++;
    if (outcome.error) stats.lastError = { message: outcome.error, at: this.#clock.now() };
    this.#consumers.set(outcome.consumer, stats);
  }

  /** Events past each consumer's position, summed over partitions (each counted up to BACKLOG_SCAN_LIMIT). */
  async backlog(): Promise<Record<string, number>> {
    const gateway = this.#gateway;
    if (!gateway) return {};
    const partitions = gateway.partitions;
    const out: Record<string, number> = {};
    await Promise.all(
      gateway.consumers.map(async (consumer) => {
        let sum = 0;
        for (let partition = 0; partition < partitions; partition++) {
          const position = await gateway.log.getPosition(consumer.name, partition);
          sum += (await gateway.log.readPartition(partition, position.cursor, BACKLOG_SCAN_LIMIT)).length;
        }
        out[consumer.name] = sum;
      }),
    );
    return out;
  }

  /** Dead letters per consumer (counted up to BACKLOG_SCAN_LIMIT). */
  async deadLetters(): Promise<Record<string, number>> {
    const gateway = this.#gateway;
    if (!gateway) return {};
    const out: Record<string, number> = {};
    await Promise.all(
      gateway.consumers.map(async (c) => {
        out[c.name] = (await gateway.log.deadLetters(c.name, BACKLOG_SCAN_LIMIT)).length;
      }),
    );
    return out;
  }

  snapshot(): GatewaySnapshot {
    const now = this.#clock.now();
    const sorted = [...this.#acks].sort((a, b) => a - b);
    const pick = (q: number) =>
      sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return {
      pushesLastMinute: this.#recent.filter((t) => t > now - MINUTE_MS).length,
      pushes: this.#total,
      duplicates: this.#duplicateCount,
      refused: this.#refusedCount,
      ackP50Ms: pick(0.5),
      ackP99Ms: pick(0.99),
      consumers: Object.fromEntries([...this.#consumers].map(([name, s]) => [name, { ...s }])),
    };
  }
}
