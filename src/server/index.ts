export { AppidParams, ErrorBody, errorResponses, jsonResponse } from './api-schemas.js';
export { bearerToken } from './bearer-token.js';
export { addressBucket } from './client-address.js';
export { jsonBodiesOnly } from './json-body.js';
export {
  type KeyGate,
  type KeyGateOptions,
  keyGate,
  type RateDecision,
  refuseOverLimit,
} from './key-gate.js';
export { hasAppid, hasScope } from './permissions.js';
export { invalidField, useZodSchemas, validationError } from './route-schemas.js';
