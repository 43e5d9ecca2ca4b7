import type { SwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { WECHAT_SHAPED_ROUTES } from './wechat-operations.js';

type Transform = NonNullable<Extract<SwaggerOptions, { transform?: unknown }>['transform']>;
type TransformObject = NonNullable<Extract<SwaggerOptions, { transformObject?: unknown }>['transformObject']>;

/**
 * The hub's OpenAPI 3.1 document is made by @fastify/swagger from the routes as registered: each
 * route's zod schema (the one that validates its requests) becomes its operation through
 * fastify-type-provider-zod's transform; the WeChat-shaped routes, which validate nothing by
 * schema, are described in wechat-operations.ts. Served at `GET /openapi.json` and saved as
 * docs/openapi.json (test/hub/openapi.test.ts keeps the two equal and checks that the document
 * and the handlers agree).
 */
export const OPENAPI_OPTIONS: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'wxhub hub API',
      version: '1',
      description:
        'The central control server for WeChat Official Accounts: tokens, tickets and JS-SDK signatures over `/v1` for client keys, and drop-in WeChat paths for code written against WeChat itself. See docs/hub-api.md.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'v1', description: 'The hub API (`Authorization: Bearer CLIENT_KEY`)' },
      { name: 'drop-in', description: 'WeChat-compatible paths: change the host, nothing else' },
      { name: 'login', description: 'Web login for business apps (browser redirects, no key)' },
      { name: 'callback', description: "WeChat's push URL per account (signed by WeChat, no key)" },
      { name: 'operations', description: 'Health, readiness, metrics' },
    ],
    security: [{ clientKey: [] }],
    components: {
      securitySchemes: {
        clientKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A client key from `wxhub keys create` (`wxk_<id>_<secret>`, URL-safe).',
        },
      },
    },
  },
  convertConstToEnum: false,
  transform: documentRoute,
  transformObject: finishDocument,
};

/** The operator dashboard's HTML pages and assets: for browsers, not part of the API. */
export const HTML_PAGES = /^\/(admin(\/|$)|assets\/|favicon\.ico$)/;

/** A route's operation: from its zod schema, or from wechat-operations.ts. */
function documentRoute(input: Parameters<Transform>[0]): ReturnType<Transform> {
  if (HTML_PAGES.test(input.url)) return { schema: { ...input.schema, hide: true }, url: input.url };
  const described =
    WECHAT_SHAPED_ROUTES.get(`${String(input.route.method)} ${input.url}`) ??
    WECHAT_SHAPED_ROUTES.get(input.url);
  if (described) return jsonSchemaTransform({ ...input, schema: described.schema, url: described.url });
  return jsonSchemaTransform(input);
}

/** Adds the named schemas (zod `.meta({id})`) as components, keeping only those referenced. */
function finishDocument(input: Parameters<TransformObject>[0]): ReturnType<TransformObject> {
  const document = withoutSafeIntegerBounds(jsonSchemaTransformObject(input)) as {
    components?: { schemas?: Record<string, unknown> };
  };
  const schemas = document.components?.schemas;
  if (schemas) {
    const text = JSON.stringify({ ...document, components: { ...document.components, schemas: {} } });
    const used = new Set<string>();
    let found = referenced(text);
    while (found.length > 0) {
      for (const name of found) used.add(name);
      found = found
        .flatMap((name) => referenced(JSON.stringify(schemas[name] ?? {})))
        .filter((n) => !used.has(n));
    }
    for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
  }
  return document as ReturnType<TransformObject>;
}

function referenced(text: string): string[] {
  return [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
}

/** zod writes `z.int()`'s safe-integer range as bounds; a reader learns nothing from them. */
function withoutSafeIntegerBounds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSafeIntegerBounds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'minimum' && child === Number.MIN_SAFE_INTEGER) continue;
    if (key === 'maximum' && child === Number.MAX_SAFE_INTEGER) continue;
    out[key] = withoutSafeIntegerBounds(child);
  }
  return out;
}
