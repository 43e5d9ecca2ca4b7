import { isIP } from 'node:net';
import { z } from 'zod';
import type { SimFixture, SimUserInput } from './types.js';
import { SUBSCRIBE_SCENES } from './types.js';

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const CIDR_V4 = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d|[12]\d|3[0-2])$/;
const ORIGINAL_ID = /^gh_[A-Za-z0-9]{1,32}$/;
const HOSTNAME = /^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$/;

function isWhitelistEntry(value: string): boolean {
  if (isIP(value) !== 0) return true;
  const cidr = CIDR_V4.exec(value);
  return cidr !== null && isIP(cidr[1]!) === 4;
}

const ipEntry = z
  .string()
  .refine(isWhitelistEntry, { message: 'expected an IPv4/IPv6 address or IPv4 CIDR' });

/** Fields of an account; `secret` is optional here because re-posting an account may omit it. */
const accountFields = {
  appid: z.string().regex(ID, 'expected 1–128 characters of [A-Za-z0-9_-]'),
  secret: z.string().min(1),
  kind: z.enum(['official', 'website']).optional(),
  originalId: z.string().regex(ORIGINAL_ID, 'expected gh_ and 1–32 characters of [A-Za-z0-9]').optional(),
  name: z.string().max(200).optional(),
  ipWhitelist: z.array(ipEntry).max(1000).nullable().optional(),
  oauthDomains: z
    .array(z.string().regex(HOSTNAME, 'expected a host name (no scheme, no port)'))
    .max(1000)
    .optional(),
  tokenDailyQuota: z.number().int().min(0).optional(),
  tokenOverlapSeconds: z.number().int().min(0).max(7200).optional(),
  legacyProfile: z.boolean().optional(),
  unionBound: z.boolean().optional(),
  secretFrozen: z.boolean().optional(),
};

/** A user as the control plane and fixtures accept it. */
export const userInputSchema: z.ZodType<SimUserInput> = z
  .object({
    openid: z.string().regex(ID, 'expected 1–128 characters of [A-Za-z0-9_-]').optional(),
    unionid: z.string().regex(ID, 'expected 1–128 characters of [A-Za-z0-9_-]').optional(),
    nickname: z.string().max(100).optional(),
    sex: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    headimgurl: z.string().max(2048).optional(),
    subscribe: z.union([z.literal(0), z.literal(1), z.boolean()]).optional(),
    subscribeScene: z.enum(SUBSCRIBE_SCENES).optional(),
    subscribeTime: z.number().int().min(0).optional(),
    language: z.string().max(16).optional(),
    remark: z.string().max(100).optional(),
    groupid: z.number().int().optional(),
    tagidList: z.array(z.number().int()).max(20).optional(),
    qrScene: z.number().int().optional(),
    qrSceneStr: z.string().max(64).optional(),
    city: z.string().max(100).optional(),
    province: z.string().max(100).optional(),
    country: z.string().max(100).optional(),
  })
  .strict();

/** `POST /__sim/accounts`: like a fixture account, but `secret` may be left out on an update. */
export const accountPostSchema = z
  .object({
    ...accountFields,
    secret: accountFields.secret.optional(),
    users: z.array(userInputSchema).optional(),
  })
  .strict();
/** What `POST /__sim/accounts` accepts, after validation. */
export type AccountPost = z.infer<typeof accountPostSchema>;

/** A fixture file: `{ "accounts": [ { ...account, "users": [ ... ] } ] }`. */
export const fixtureSchema: z.ZodType<SimFixture> = z
  .object({
    accounts: z.array(z.object({ ...accountFields, users: z.array(userInputSchema).optional() }).strict()),
  })
  .strict()
  .superRefine((fixture, ctx) => {
    const seen = new Set<string>();
    fixture.accounts.forEach((account, i) => {
      if (seen.has(account.appid)) {
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', i, 'appid'],
          message: `duplicate appid ${account.appid}`,
        });
      }
      seen.add(account.appid);
    });
  });

/** `accounts[0].users[3].sex` from zod's `['accounts', 0, 'users', 3, 'sex']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

/** Every problem of a zod error on one line: `field: message; field: message`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}
