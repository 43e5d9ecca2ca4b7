// The key checks live in the neutral server module (the login routes use them too).
export { hasAppid, hasScope } from '../../server/permissions.js';
