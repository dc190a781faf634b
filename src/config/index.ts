// Owns the public surface of src/config: loading, the Config types, flags, diffing and the generated docs.
export { ConfigError, configFromObject, loadConfig, parseConfigText } from './load.ts';
export type { LoadOptions } from './load.ts';
export { formatAddress, parseAddress, parseCidr, parseRemoteAddress } from './address.ts';
export type { CidrSpec, ListenSpec } from './address.ts';
export { FLAGS } from './flags.ts';
export type { ConfigOverrides, FlagSpec } from './flags.ts';
export { ACL_ACTIONS, LOG_LEVEL_VALUES, TSIG_ALGORITHMS, configSchema } from './schema.ts';
export type { AclConfig, Config, KeyConfig, LogLevelName, RemoteConfig, ZoneConfig, ZoneSpec } from './schema.ts';
export { catalog, catalogEntry, editorJsonSchema } from './catalog.ts';
export type { CatalogEntry } from './catalog.ts';
export { diffConfig } from './diff.ts';
export type { ConfigDiff, RefusedChange, SettingChange, ZoneChange } from './diff.ts';
