import type { Command } from 'commander';
import { type Config, oidcClientSchema } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import { loginEncryptionKey } from '../oauth/oauth-context.js';
import { TokenCipher } from '../oauth/token-cipher.js';
import { clientProblems, RuntimeClients } from '../oidc/oidc-clients.js';
import { issuerOf } from '../oidc/oidc-service.js';
import { SIGNING_ALGS, SigningKeys } from '../oidc/signing-keys.js';
import { systemClock } from '../util/clock.js';
import { type ConfigFlag, printTable, warn, withDatabase } from './keys-command.js';

interface CreateFlags extends ConfigFlag {
  appid: string;
  redirectUri: string[];
  postLogoutRedirectUri?: string[];
  websiteAppid?: string;
  clientId?: string;
  public?: boolean;
  pairwise?: boolean;
  idTokenAlg?: string;
}

const configOption =
  'configuration file naming the database (default: $WXHUB_CONFIG, else ./wxhub.config.json)';
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * `wxhub oidc clients create|list|remove` and `wxhub oidc keys rotate`: the OpenID Connect
 * provider's runtime clients and signing keys, in the hub's database (docs/oidc.md).
 */
export function registerOidc(program: Command): void {
  const oidc = program.command('oidc').description('Manage the OpenID Connect provider ({publicUrl}/oidc)');
  const clients = oidc
    .command('clients')
    .description('Relying parties created at runtime (secrets stored hashed)');

  clients
    .command('create')
    .description('Create a client; its secret is printed once, alone on the last line')
    .requiredOption('--appid <appid>', 'the Official Account whose users log in (a configured account)')
    .requiredOption('--redirect-uri <uri>', 'an exact redirect URI (repeat for several)', collect)
    .option('--post-logout-redirect-uri <uri>', 'where RP-initiated logout may return (repeat)', collect)
    .option('--website-appid <appid>', 'an Open Platform website app (accounts entry with "kind": "website")')
    .option('--client-id <id>', 'the client_id (default: generated)')
    .option('--public', 'a public client: no secret, PKCE required (single-page and native apps)')
    .option('--pairwise', 'give this client a sub of its own for each user')
    .option('--id-token-alg <alg>', 'how its ID tokens are signed: RS256 (default) or ES256')
    .option('--config <file>', configOption)
    .action(async (flags: CreateFlags) => {
      await withDatabase(flags, async (database, config) => {
        const checked = oidcClientSchema.safeParse({
          client_id: flags.clientId ?? 'generated',
          redirect_uris: flags.redirectUri,
          post_logout_redirect_uris: flags.postLogoutRedirectUri ?? [],
          appid: flags.appid,
          ...(flags.websiteAppid ? { websiteAppid: flags.websiteAppid } : {}),
          ...(flags.idTokenAlg ? { id_token_signed_response_alg: flags.idTokenAlg } : {}),
        });
        const problems = checked.success
          ? []
          : checked.error.issues.map((i) => `--${flagOf(String(i.path[0]))}: ${i.message}`);
        const accounts = { appid: flags.appid, websiteAppid: flags.websiteAppid };
        problems.push(...clientProblems([accounts], config.accounts, (_, field) => `--${flagOf(field)}`));
        if (problems.length > 0) throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', problems.join('; '));
        noIssuerWarning(config);
        const { client, secret } = await new RuntimeClients(database, systemClock).create({
          ...(flags.clientId ? { client_id: flags.clientId } : {}),
          public: flags.public ?? false,
          redirect_uris: flags.redirectUri,
          post_logout_redirect_uris: flags.postLogoutRedirectUri ?? [],
          appid: flags.appid,
          websiteAppid: flags.websiteAppid,
          pairwise: flags.pairwise ?? false,
          ...(checked.success && checked.data.id_token_signed_response_alg
            ? { id_token_signed_response_alg: checked.data.id_token_signed_response_alg }
            : {}),
        });
        const out = (line: string) => process.stdout.write(`${line}\n`);
        out(`Created OpenID Connect client ${client.client_id}`);
        if (config.publicUrl) out(`  issuer:        ${issuerOf(config.publicUrl)}`);
        out(
          `  appid:         ${client.appid}${client.websiteAppid ? ` (website app ${client.websiteAppid})` : ''}`,
        );
        out(`  redirect_uris: ${client.redirect_uris.join(' ')}`);
        out(`  type:          ${secret ? 'confidential (client_secret_basic)' : 'public (PKCE, no secret)'}`);
        if (!secret) return;
        out('The client_secret is stored hashed and cannot be shown again. Keep it now:');
        out(secret);
      });
    });

  clients
    .command('list')
    .description('List the runtime clients (never their secrets); config clients are in the configuration')
    .option('--json', 'one JSON array, for scripts')
    .option('--config <file>', configOption)
    .action(async (flags: ConfigFlag & { json?: boolean }) => {
      await withDatabase(flags, async (database) => {
        const all = await new RuntimeClients(database, systemClock).list();
        if (flags.json) {
          const shown = all.map(({ client_secret_sha256, ...rest }) => ({
            ...rest,
            public: !client_secret_sha256,
          }));
          process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
          return;
        }
        if (all.length === 0) {
          process.stdout.write(
            'no runtime clients; create one with: wxhub oidc clients create --appid A --redirect-uri URI\n',
          );
          return;
        }
        printTable(
          ['CLIENT_ID', 'TYPE', 'APPID', 'WEBSITE_APPID', 'REDIRECT_URIS', 'CREATED'],
          all.map((c) => [
            c.client_id,
            c.client_secret_sha256 ? 'confidential' : 'public',
            c.appid,
            c.websiteAppid ?? '-',
            c.redirect_uris.join(' '),
            new Date(c.created_at).toISOString(),
          ]),
        );
      });
    });

  clients
    .command('remove')
    .description('Remove a runtime client; hubs stop accepting it within 5 s')
    .argument('<client_id>', 'the client_id shown by create and list')
    .option('--config <file>', configOption)
    .action(async (clientId: string, flags: ConfigFlag) => {
      await withDatabase(flags, async (database) => {
        if (!(await new RuntimeClients(database, systemClock).remove(clientId)))
          throw new WxhubError('WXHUB_ERR_NOT_FOUND', `no runtime client ${clientId.slice(0, 128)}`);
        process.stdout.write(`Removed OpenID Connect client ${clientId}\n`);
      });
    });

  oidc
    .command('keys')
    .description('The signing keys (JWKS), kept sealed in the database')
    .command('rotate')
    .description(
      'Sign with a new key of each algorithm; the previous ones stay published (3 of each), hubs switch within a minute',
    )
    .option('--config <file>', configOption)
    .action(async (flags: ConfigFlag) => {
      await withDatabase(flags, async (database, config) => {
        const cipher = new TokenCipher(await loginEncryptionKey(database, config.oauth));
        const keys = await new SigningKeys(database, cipher, systemClock).rotate();
        // RS256 first, in the line scripts already read; then a line per other algorithm.
        for (const alg of SIGNING_ALGS) {
          const of = keys.filter((k) => k.alg === alg);
          const name = alg === 'RS256' ? 'New OpenID Connect signing key' : `New ${alg} signing key`;
          process.stdout.write(`${name} ${of[0]!.kid}; published: ${of.map((k) => k.kid).join(', ')}\n`);
        }
      });
    });
}

function flagOf(field: string): string {
  return (
    (
      {
        redirect_uris: 'redirect-uri',
        post_logout_redirect_uris: 'post-logout-redirect-uri',
        client_id: 'client-id',
        websiteAppid: 'website-appid',
        id_token_signed_response_alg: 'id-token-alg',
      } as Record<string, string>
    )[field] ?? field
  );
}

function noIssuerWarning(config: Config): void {
  if (!config.publicUrl) warn('publicUrl is not set in the configuration: the provider is off until it is');
}
