/** Configuration: key specs, loading (defaults < discovered file < --config < flags) and validation. */
export {loadConfig, describeConfigKeys, mergeKeySpecs, discoverConfig, SEARCH_PLACES, type LoadConfigOptions} from './load.js'
export {readConfigFile} from './files.js'
export {validateValue, keyToFlag, expectation, suggestKey, FLAG_SOURCE, DEFAULT_SOURCE} from './validate.js'
export {renderConfigDocs} from './docs.js'
export {BUILTIN_KEYS} from './keys.js'
export type {MotionConfig, LoadedConfig, ConfigSources, Engine} from './schema.js'
export type {BackboneConfigRules, ConfigKeySpec, ConfigValueType, ConfigKeyGroup, RawConfig} from './types.js'
