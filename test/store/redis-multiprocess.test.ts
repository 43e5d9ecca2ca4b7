import { afterAll, describe } from 'vitest';
import { serviceUrl } from '../support/services.js';
import { deleteRedisPrefix, randomId } from './helpers.js';
import { itRacesAcrossProcesses } from './multiprocess.js';

const url = serviceUrl('redis');
const keyPrefix = `wxhub-test-mp-${randomId()}:`;

describe.skipIf(!url)('RedisStore across OS processes', () => {
  afterAll(() => deleteRedisPrefix(url!, keyPrefix));
  if (url) itRacesAcrossProcesses(url, { redis: { keyPrefix } });
});
