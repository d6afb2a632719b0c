/**
 * docs/config.md, rendered from the key specs so the reference cannot drift from the loader.
 * A test compares the file with this output; `MOTION_UPDATE_DOCS=1` makes that test rewrite it.
 */
import {BUILTIN_KEYS} from './keys.js'
import {SEARCH_PLACES} from './load.js'
import type {ConfigKeyGroup, ConfigKeySpec} from './types.js'
import {expectation} from './validate.js'

const GROUP_TITLES: Record<ConfigKeyGroup, string> = {
  general: 'General',
  model: 'Model',
  data: 'Data',
  training: 'Training',
  loss: 'Loss weights',
  augmentation: 'Augmentation',
  runtime: 'Runtime',
}

/** Default column: a value, "inferred", or "unset". */
export function describeDefault(spec: ConfigKeySpec): string {
  if (spec.aliasOf) return `= \`${spec.aliasOf}\``
  const value = spec.default === undefined ? undefined : `\`${JSON.stringify(spec.default)}\``
  const perBackbone = Object.entries(spec.defaultByBackbone ?? {}).map(([b, v]) => `\`${JSON.stringify(v)}\` (${b})`)
  if (spec.inferable) return value ? `from checkpoint, else ${value}` : 'from checkpoint'
  if (spec.group === 'model') return value ? `model default ${value}` : 'model default'
  if (!value && perBackbone.length === 0) return 'unset'
  return [value, ...perBackbone].filter(Boolean).join(', ')
}

export function renderConfigDocs(specs: readonly ConfigKeySpec[] = BUILTIN_KEYS): string {
  const lines: string[] = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/keys.ts by renderConfigDocs (src/config/docs.ts); run the config tests with',
    '     MOTION_UPDATE_DOCS=1 to regenerate. Edit the specs, not this file. -->',
    '',
    "`motion` reads MotionBERT's YAML configs as they are: every key of the official `configs/**/*.yaml`",
    'is known under its own name, and the official presets ship in `configs/` with their names',
    '(`configs/pose3d/MB_ft_h36m.yaml`, `configs/action/MB_ft_NTU60_xsub.yaml`, ...). Tiny test models are in',
    '`configs/test/`.',
    '',
    '## Where values come from',
    '',
    'Later sources override earlier ones, key by key:',
    '',
    '1. **defaults** (the table below);',
    '2. **a discovered config file**: the first of these, looked for in the working directory, then each parent',
    '   directory, then the user config folder (`~/.config/motion/config.{json,yaml,yml,js}` on Linux):',
    `   ${SEARCH_PLACES.map((p) => `\`${p}\``).join(', ')}`,
    '   (`package.json` counts only when it has a `"motion"` object);',
    '3. **`--config FILE`** (YAML, JSON or a JS module with a default export);',
    '4. **flags** (`--dim-feat 256` sets `dim_feat`).',
    '',
    'Each value is checked when it is read (type, allowed values, range), and an error names the key and where',
    'the value came from, for example `configs/x.yaml: dim_feat must be a positive integer (got "abc")` or',
    '`--clip-len flag: clip_len must be a positive integer (got "x")`. Bad YAML or JSON is reported with its line.',
    'A key nobody knows is not dropped silently: it is kept (as `config.extra`) and reported as a warning with',
    'the closest known key (`unknown config key "dim_fet" (did you mean "dim_feat"?)`).',
    '',
    'YAML is read as MotionBERT reads it (PyYAML, YAML 1.1): `True`/`False`/`yes`/`no`, `null`, lists in brackets, `<<:` merge keys and the',
    "`!include other.yaml` tag of its `get_config` (path relative to the including file). Allowed words match",
    'in any case (`backbone: DSTformer`, `engine: ONNX`).',
    '',
    'Model keys are not filled in by the config loader: sizes marked "from checkpoint" are read off the',
    "checkpoint's tensor shapes (a value set in a config must agree with them), the others take the model's",
    'default. `num_heads` cannot be read off a checkpoint (model default 8). `motion models` lists the keys',
    'each backbone and head reads, with their defaults.',
    '',
    'Training defaults are those of `configs/pose3d/MB_ft_h36m.yaml`; for pretraining, action or mesh runs start',
    'from their preset (`--config configs/action/MB_ft_NTU60_xsub.yaml`) and override single keys with flags.',
    'Loss weights that are not set are 0 (the term is off).',
    '',
    'Checks across keys: `dim_feat` (DSTformer) and `embed_dim_ratio` (MixSTE) must be divisible by `num_heads`;',
    'for DSTformer, `clip_len` must not exceed `maxlen`.',
  ]
  const groups = new Map<ConfigKeyGroup, ConfigKeySpec[]>()
  for (const spec of specs) {
    const group = spec.group ?? 'general'
    groups.set(group, [...(groups.get(group) ?? []), spec])
  }
  for (const group of Object.keys(GROUP_TITLES) as ConfigKeyGroup[]) {
    const list = groups.get(group)
    if (!list) continue
    lines.push('', `## ${GROUP_TITLES[group]}`, '', '| key | accepts | default | meaning |', '| --- | --- | --- | --- |')
    for (const spec of list) {
      const scope = spec.backbones ? ` *(${spec.backbones.join(', ')})*` : ''
      lines.push(`| \`${spec.key}\` | ${escapeCell(expectation(spec))} | ${escapeCell(describeDefault(spec))} | ${escapeCell(spec.description)}${scope} |`)
    }
  }
  return `${lines.join('\n')}\n`
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}
