/**
 * The OpenAPI description of what `hubDashboard` adds to the hub: the follower-sync endpoint under
 * `/v1/admin` and the dashboard's pages (HTML, described briefly). Spread into the hub's document
 * (src/hub/openapi/openapi-document.ts), so the feature's routes and their description live
 * together.
 */

const errorBody = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const statusBody = { 'application/json': { schema: { $ref: '#/components/schemas/FollowerSyncStatus' } } };
const htmlPage = (description: string) => ({ description, content: { 'text/html': {} } });
const seeOther = (description: string) => ({ description });

const keyErrors = {
  '401': {
    description: 'Missing, unknown, wrong or revoked client key (`WXHUB_ERR_UNAUTHORIZED`)',
    content: errorBody,
  },
  '403': { description: 'The key lacks the `admin` scope (`WXHUB_ERR_FORBIDDEN`)', content: errorBody },
  '404': { description: 'No such account (`WXHUB_ERR_UNKNOWN_ACCOUNT`)', content: errorBody },
  '429': {
    description: 'Over the key rate limit (`WXHUB_ERR_RATE_LIMITED`), see `Retry-After`',
    content: errorBody,
  },
};

/** The dashboard's tag. */
export const DASHBOARD_TAG = {
  name: 'dashboard',
  description: 'The operator dashboard (HTML, `admin` keys) and follower sync',
};

const outcome = {
  type: 'object',
  description: 'How the last sync run by this hub ended.',
  required: ['ok', 'trigger', 'started_at', 'finished_at'],
  properties: {
    ok: { type: 'boolean' },
    trigger: { type: 'string', enum: ['schedule', 'manual'] },
    started_at: { type: 'integer', description: 'Epoch seconds.' },
    finished_at: { type: 'integer', description: 'Epoch seconds.' },
    total: { type: 'integer', description: 'Followers WeChat counts (ok only).' },
    synced: { type: 'integer', description: 'Followers written (ok only).' },
    removed: { type: 'integer', description: 'Followers removed: they no longer follow (ok only).' },
    errcode: {
      type: 'integer',
      description: "WeChat's errcode, e.g. 45009 (daily quota), 40164 (IP whitelist).",
    },
    errmsg: { type: 'string', description: "WeChat's errmsg, or what went wrong (failures only)." },
    code: { type: 'string', description: "wxhub's error code when the failure was the hub's own." },
    busy: { type: 'boolean', description: 'Another hub was syncing the account: nothing was done.' },
  },
};

/** The schemas the paths below refer to. */
export const DASHBOARD_SCHEMAS = {
  FollowerSyncStatus: {
    type: 'object',
    required: [
      'appid',
      'running',
      'last',
      'last_synced_at',
      'interval_seconds',
      'user_get_today',
      'user_get_daily_limit',
    ],
    properties: {
      appid: { type: 'string' },
      running: { type: 'boolean', description: 'A sync of the account is running in this hub.' },
      started_at: { type: 'integer', description: 'Epoch seconds (running only).' },
      trigger: { type: 'string', enum: ['schedule', 'manual'], description: 'Running only.' },
      last: { oneOf: [outcome, { type: 'null' }] },
      last_synced_at: {
        type: ['integer', 'null'],
        description: 'Epoch seconds of the last completed sync by any hub of the fleet.',
      },
      interval_seconds: { type: 'integer', description: '`followers.syncIntervalSeconds`; 0: no schedule.' },
      user_get_today: {
        type: ['integer', 'null'],
        description: '`/cgi-bin/user/get` calls made by the fleet’s syncs today (Beijing day).',
      },
      user_get_daily_limit: { type: 'integer', description: 'WeChat’s limit: 500 a day.' },
    },
  },
};

/** The dashboard's paths, with the hub document's own `appid` path parameter. */
export const dashboardPaths = (appidParam: object) => ({
  '/v1/admin/accounts/{appid}/followers/sync': {
    get: {
      operationId: 'followerSyncStatus',
      tags: ['dashboard'],
      summary: "An account's follower sync: running, the last outcome, today's user/get calls",
      parameters: [appidParam],
      responses: { '200': { description: 'The status', content: statusBody }, ...keyErrors },
    },
    post: {
      operationId: 'followerSyncStart',
      tags: ['dashboard'],
      summary: 'Sync the follower list now (or join the sync running)',
      description:
        'Walks `/cgi-bin/user/get` (10,000 openids a call; WeChat allows 500 calls a day) and `/cgi-bin/user/info/batchget` through the token engine. A failure is in the body (`last.errcode`), not the HTTP status.',
      parameters: [
        appidParam,
        {
          name: 'wait',
          in: 'query',
          required: false,
          description: 'Seconds to wait for the sync to end before answering (0-60, default 0).',
          schema: { type: 'integer', minimum: 0, maximum: 60, default: 0 },
        },
      ],
      responses: {
        '200': {
          description: 'The sync ended within `wait`: the status with its outcome',
          content: statusBody,
        },
        '202': { description: 'The sync is running: the status (`running: true`)', content: statusBody },
        '400': { description: 'A bad `wait` (`WXHUB_ERR_INVALID_ARGUMENT`)', content: errorBody },
        ...keyErrors,
      },
    },
  },
  '/admin': {
    get: {
      operationId: 'dashboardOverview',
      tags: ['dashboard'],
      summary: 'The dashboard: a card per account',
      security: [],
      responses: {
        '200': htmlPage('The overview (with a dashboard session cookie)'),
        '303': seeOther('No session: to `/admin/login` (browsers)'),
        '401': { description: 'No session (API clients)', content: errorBody },
      },
    },
  },
  '/admin/login': {
    get: {
      operationId: 'dashboardLoginForm',
      tags: ['dashboard'],
      summary: 'The admin key form',
      security: [],
      responses: { '200': htmlPage('The form'), '303': seeOther('Already signed in: to `/admin`') },
    },
    post: {
      operationId: 'dashboardLogin',
      tags: ['dashboard'],
      summary: 'Sign in with a client key with the `admin` scope: a session cookie for 8 h',
      security: [],
      requestBody: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: { type: 'object', required: ['key'], properties: { key: { type: 'string' } } },
          },
        },
      },
      responses: {
        '303': seeOther('Signed in: to `/admin`'),
        '401': { ...htmlPage('Not an active admin key'), content: { 'text/html': {}, ...errorBody } },
      },
    },
  },
  '/admin/logout': {
    post: {
      operationId: 'dashboardLogout',
      tags: ['dashboard'],
      summary: 'Clear the session cookie',
      security: [],
      responses: { '303': seeOther('To `/admin/login`') },
    },
  },
  '/admin/accounts/{appid}': {
    get: {
      operationId: 'dashboardAccount',
      tags: ['dashboard'],
      summary: 'One account: token, quota, upstream calls, refreshes, errors, followers and their sync',
      security: [],
      parameters: [
        appidParam,
        { name: 'page', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
      ],
      responses: {
        '200': htmlPage('The account page'),
        '303': seeOther('No session, or a follower page past the end (to the last page)'),
        '404': htmlPage('An account the hub does not serve'),
      },
    },
  },
  '/admin/accounts/{appid}/followers/sync': {
    post: {
      operationId: 'dashboardSyncFollowers',
      tags: ['dashboard'],
      summary: '"Sync now": start a follower sync, wait for it up to 5 s, back to the account page',
      security: [],
      requestBody: {
        content: {
          'application/x-www-form-urlencoded': {
            schema: { type: 'object', required: ['_csrf'], properties: { _csrf: { type: 'string' } } },
          },
        },
      },
      parameters: [appidParam],
      responses: {
        '303': seeOther('To `/admin/accounts/{appid}#followers`, where the result is shown'),
        '401': { description: 'No session', content: errorBody },
        '403': { description: 'Bad or missing `_csrf`', content: errorBody },
        '404': htmlPage('An account the hub does not serve'),
      },
    },
  },
  '/admin/{path}': {
    get: {
      operationId: 'dashboardNotFound',
      tags: ['dashboard'],
      summary: 'Any other dashboard path: not found (after the session check)',
      security: [],
      parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '303': seeOther('No session: to `/admin/login`'), '404': htmlPage('Not found') },
    },
  },
  '/assets/wxhub.css': {
    get: {
      operationId: 'dashboardStylesheet',
      tags: ['dashboard'],
      summary: 'The pages’ one stylesheet',
      security: [],
      responses: { '200': { description: 'CSS', content: { 'text/css': {} } } },
    },
  },
  '/favicon.ico': {
    get: {
      operationId: 'dashboardFavicon',
      tags: ['dashboard'],
      summary: 'The pages’ icon (SVG)',
      security: [],
      responses: { '200': { description: 'SVG', content: { 'image/svg+xml': {} } } },
    },
  },
});
