import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { WxhubError } from '../errors/index.js';
import { WebhookConsumer } from '../gateway/deliver/webhook-consumer.js';
import type { HubServices } from '../hub/hub-services.js';
import { errorResponses, jsonBodiesOnly, jsonResponse, keyGate } from '../server/index.js';
import { AccountAdmin } from './account-admin.js';
import { Appid, CallbackBody, NewAccountBody, SecretBody } from './account-input.js';
import { AccountBody, accountView } from './account-view.js';

const AppidPath = z.object({ appid: Appid });
const AccountList = z.object({ accounts: z.array(AccountBody) }).meta({ id: 'AccountList' });
const Removed = z.object({ appid: z.string(), removed: z.literal(true) }).meta({ id: 'AccountRemoved' });

const WHEN = {
  404: 'No such account (`WXHUB_ERR_UNKNOWN_ACCOUNT`)',
  409: 'The appid exists already (`WXHUB_ERR_ACCOUNT_EXISTS`)',
  500: 'No secrets key, or not the one that sealed the stored appsecrets (`WXHUB_ERR_SECRETS_KEY`)',
};

/** The AccountAdmin of a hub: its changes apply on this hub at once (the others poll). */
export function hubAccountAdmin(
  hub: Pick<HubServices, 'database' | 'accounts' | 'clock' | 'gateway'>,
): AccountAdmin {
  return new AccountAdmin({
    database: hub.database,
    secrets: hub.accounts.secrets,
    configAppids: () => hub.accounts.configAppids(),
    clock: hub.clock,
    isWebhookSubscriber: (name) => hub.gateway.gateway.consumer(name) instanceof WebhookConsumer,
    afterChange: () => hub.accounts.sync(),
  });
}

/**
 * `/v1/admin/accounts` (scope `admin`): list, add, remove, set the secret or the push URL
 * settings of, and enable accounts at run time (see docs/hub-api.md). Changes are written to the database and applied
 * on this hub before the answer; every other hub of the fleet applies them within its poll
 * interval. The `:appid` of these routes may be an account the hub does not serve (a disabled
 * one), so the key gate here does not refuse unknown appids: each route answers 404 itself.
 */
export const accountRoutes: FastifyPluginAsync = async (plain) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const hub = app.hub;
  jsonBodiesOnly(app);
  const gate = keyGate({
    keys: hub.keys,
    hasAccount: () => true,
    limiter: hub.limiter,
    metrics: hub.metrics,
  });
  const admin = hubAccountAdmin(hub);
  const view = (appid: string) => {
    const account = hub.accounts.get(appid);
    if (!account) throw new WxhubError('WXHUB_ERR_UNKNOWN_ACCOUNT', appid);
    return accountView(account, hub.manager);
  };
  const common = { onRequest: gate('admin') };

  app.get(
    '/v1/admin/accounts',
    {
      ...common,
      schema: {
        operationId: 'listAccounts',
        tags: ['v1'],
        summary:
          'Every account, from the configuration file and the database (scope `admin`; never a secret)',
        response: { 200: jsonResponse('The accounts', AccountList), ...errorResponses([401, 403, 429]) },
      },
    },
    async () => ({ accounts: hub.accounts.list().map((a) => accountView(a, hub.manager)) }),
  );

  app.post(
    '/v1/admin/accounts',
    {
      ...common,
      schema: {
        operationId: 'addAccount',
        tags: ['v1'],
        summary: 'Add an account at run time; its appsecret is stored encrypted (scope `admin`)',
        body: NewAccountBody,
        response: {
          201: jsonResponse('Added, and served by this hub', AccountBody),
          ...errorResponses([400, 401, 403, 409, 415, 429, 500], WHEN),
        },
      },
    },
    async (request, reply) => {
      const record = await admin.add(request.body);
      return reply.code(201).send(view(record.appid));
    },
  );

  app.delete(
    '/v1/admin/accounts/:appid',
    {
      ...common,
      schema: {
        operationId: 'removeAccount',
        tags: ['v1'],
        summary: 'Remove a runtime account (scope `admin`; config-file accounts are refused)',
        params: AppidPath,
        response: {
          200: jsonResponse('Removed', Removed),
          ...errorResponses([400, 401, 403, 404, 429], WHEN),
        },
      },
    },
    async (request) => {
      await admin.remove(request.params.appid);
      return { appid: request.params.appid, removed: true as const };
    },
  );

  app.put(
    '/v1/admin/accounts/:appid/secret',
    {
      ...common,
      schema: {
        operationId: 'setAccountSecret',
        tags: ['v1'],
        summary: "Replace a runtime account's appsecret (scope `admin`)",
        params: AppidPath,
        body: SecretBody,
        response: {
          200: jsonResponse('Replaced', AccountBody),
          ...errorResponses([400, 401, 403, 404, 415, 429, 500], WHEN),
        },
      },
    },
    async (request) => {
      await admin.setSecret(request.params.appid, request.body.secret);
      return view(request.params.appid);
    },
  );

  app.put(
    '/v1/admin/accounts/:appid/callback',
    {
      ...common,
      schema: {
        operationId: 'setAccountCallback',
        tags: ['v1'],
        summary:
          "Set a runtime account's push URL settings (Token, EncodingAESKey, mode), as entered in WeChat's console; every hub answers `/callback/{appid}` with them within 5 s (scope `admin`)",
        params: AppidPath,
        body: CallbackBody,
        response: {
          200: jsonResponse('Set', AccountBody),
          ...errorResponses([400, 401, 403, 404, 415, 429, 500], WHEN),
        },
      },
    },
    async (request) => {
      await admin.setCallback(request.params.appid, request.body);
      return view(request.params.appid);
    },
  );

  app.delete(
    '/v1/admin/accounts/:appid/callback',
    {
      ...common,
      schema: {
        operationId: 'removeAccountCallback',
        tags: ['v1'],
        summary:
          "Remove a runtime account's push URL settings: `/callback/{appid}` then refuses WeChat's pushes (scope `admin`)",
        params: AppidPath,
        response: {
          200: jsonResponse('Removed', AccountBody),
          ...errorResponses([400, 401, 403, 404, 429], WHEN),
        },
      },
    },
    async (request) => {
      await admin.setCallback(request.params.appid, null);
      return view(request.params.appid);
    },
  );

  app.post(
    '/v1/admin/accounts/:appid/disable',
    {
      ...common,
      schema: {
        operationId: 'disableAccount',
        tags: ['v1'],
        summary:
          'Stop serving a runtime account, keeping it stored: no token, no login, and `/callback/{appid}` answers as for an unknown account (scope `admin`)',
        params: AppidPath,
        response: {
          200: jsonResponse('Disabled', AccountBody),
          ...errorResponses([400, 401, 403, 404, 429], WHEN),
        },
      },
    },
    async (request) => {
      await admin.disable(request.params.appid);
      return view(request.params.appid);
    },
  );

  app.post(
    '/v1/admin/accounts/:appid/enable',
    {
      ...common,
      schema: {
        operationId: 'enableAccount',
        tags: ['v1'],
        summary:
          'Serve an account again: ends the cool-down after a configuration error (40164, ...) on every hub, and enables a disabled runtime account (scope `admin`)',
        params: AppidPath,
        response: {
          200: jsonResponse('Enabled', AccountBody),
          ...errorResponses([400, 401, 403, 404, 429], WHEN),
        },
      },
    },
    async (request) => {
      await admin.enable(request.params.appid);
      return view(request.params.appid);
    },
  );
};
