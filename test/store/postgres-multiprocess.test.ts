import { afterAll, describe } from 'vitest';
import { serviceUrl } from '../support/services.js';
import { dropPostgresSchema, randomId } from './helpers.js';
import { itRacesAcrossProcesses } from './multiprocess.js';

const url = serviceUrl('postgres');
const schema = `wxhub_test_mp_${randomId()}`;

describe.skipIf(!url)('PostgresStore across OS processes (fresh schema, concurrent migration)', () => {
  afterAll(() => dropPostgresSchema(url!, schema));
  if (url) itRacesAcrossProcesses(url, { postgres: { schema } });
});
