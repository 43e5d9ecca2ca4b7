/**
 * The WeChat simulator ("WeChat in a box"): the API host, the authorization host, avatars and a
 * control plane on one port, with a virtual clock and fault injection; it also pushes messages
 * and events to developers' servers as WeChat does.
 * @see docs/simulator.md
 */
export { BODY_LIMIT, createSimulator, type Simulator, type SimulatorOptions } from './create-simulator.js';
export { DEMO_ACCOUNTS, DEMO_FIXTURE } from './demo-fixture.js';
export { type FaultSpec, faultSpecSchema } from './faults.js';
export { loadFixtureFile } from './fixture-file.js';
export { accountPostSchema, fixtureSchema, userInputSchema } from './fixture-schema.js';
export type { PushOutcome, PushTry } from './push/deliver.js';
export type { InvalidReply, PushReply, ValidReply } from './push/reply.js';
export type { PushMode, ServerConfig } from './push/server-config.js';
export { type RunningSimulator, type StartSimulatorOptions, startSimulator } from './start-simulator.js';
export type { InboxEntry } from './state/conversation.js';
export type { SimState } from './state/sim-state.js';
export type { SimStatsSnapshot } from './state/stats.js';
export {
  type SimAccountConfig,
  type SimAccountKind,
  type SimFixture,
  type SimFixtureAccount,
  type SimUserInput,
  SUBSCRIBE_SCENES,
  type SubscribeScene,
} from './types.js';
