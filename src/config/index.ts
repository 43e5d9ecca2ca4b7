export { DEFAULT_CONFIG_FILE, loadConfig, parseConfig } from './load-config.js';
export { plaintextSecretWarnings } from './plaintext-secrets.js';
export {
  type AccountConfig,
  APPID_HINT,
  type Config,
  type ConfigInput,
  configSchema,
  oidcClientSchema,
  WECHAT_APPID,
} from './schema.js';
