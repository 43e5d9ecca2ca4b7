export { type CreateHubOptions, createHub, type Hub } from './create-hub.js';
export { rotateSigningKey } from './drop-in/signing-key-ring.js';
export { type StandInClaims, StandInTokens } from './drop-in/stand-in-tokens.js';
export type { HubServices } from './hub-services.js';
export { generateClientKey, hashKeySecret, parseClientKey } from './keys/client-key-format.js';
export { ClientKeys, type NewClientKey } from './keys/client-keys.js';
export { type StartedHub, type StartHubOptions, startHub } from './start-hub.js';
