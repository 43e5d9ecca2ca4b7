/**
 * The WeChat simulator ("WeChat in a box"): the API host, the authorization host, avatars and a
 * control plane on one port, with a virtual clock and fault injection.
 * @see docs/simulator.md
 */
export { BODY_LIMIT, createSimulator, type Simulator, type SimulatorOptions } from './create-simulator.js';
export { DEMO_ACCOUNTS, DEMO_FIXTURE } from './demo-fixture.js';
export { type FaultSpec, faultSpecSchema } from './faults.js';
export { loadFixtureFile } from './fixture-file.js';
export { accountPostSchema, fixtureSchema, userInputSchema } from './fixture-schema.js';
export { type RunningSimulator, type StartSimulatorOptions, startSimulator } from './start-simulator.js';
export type { SimState } from './state/sim-state.js';
export type { SimStatsSnapshot } from './state/stats.js';
export {
  type SimAccountConfig,
  type SimFixture,
  type SimFixtureAccount,
  type SimUserInput,
  SUBSCRIBE_SCENES,
  type SubscribeScene,
} from './types.js';
