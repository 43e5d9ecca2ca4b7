export { DEFAULT_CONFIG_FILE, loadConfig, parseConfig } from './load-config.js';
export { type AccountConfig, type Config, type ConfigInput, configSchema } from './schema.js';
