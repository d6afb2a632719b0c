/**
 * The layering of src/ (issue 17), checked by `npm run lint`. Folders, bottom to top; a folder may
 * import only folders on lower layers (and itself):
 *   0 core                      errors, ndarray, rng, the H36M skeleton
 *   1 formats, config           files (npy/npz, zip, pickle, safetensors, torch, bvh, writers), settings
 *   2 nn, data, metrics, render Ops + executors + differentiable losses; readers; scores; drawings
 *   3 backbones, heads          registries of models written against Ops
 *   4 model                     build, load, engines, export
 *   5 tasks                     pose3d, action, mesh: data, batches, loss, evaluation, predict, writers
 *   6 train, predict, eval      task-agnostic runners
 *   7 bench                     times the runners
 *   8 ui                        display only
 *   9 cli                       the base command, shared flags, the training session
 *  10 commands                  flags → one library call → a formatter
*  11 index                     the library API (src/index.ts)
 * Folders on the same layer do not import each other. Cycles are not allowed anywhere.
 */
const layers = [
  ['core'],
  ['formats', 'config'],
  ['nn', 'data', 'metrics', 'render'],
  ['backbones', 'heads'],
  ['model'],
  ['tasks'],
  ['train', 'predict'],
  ['eval'],
  ['bench'],
  ['ui'],
  ['cli'],
  ['commands'],
]
const all = layers.flat()
const alt = (names) => `(${names.join('|')})`

/** For each folder: it may not import any folder on its own layer (but itself) or above. */
const layerRules = layers.flatMap((layer, i) => {
  const above = layers.slice(i + 1).flat()
  return layer.map((folder) => {
    const forbidden = [...layer.filter((f) => f !== folder), ...above]
    return {
      name: `layer-${folder}`,
      comment: `src/${folder} sits on layer ${i}: it may import only ${layers.slice(0, i).flat().join(', ') || 'nothing in src'} (lower layers)`,
      severity: 'error',
      from: {path: `^src/${folder}/`},
      to: {path: `^src/${alt(forbidden)}/`},
    }
  })
})

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-import-of-the-api',
      comment: 'src/index.ts is the public entry point; nothing inside src imports it',
      severity: 'error',
      from: {path: '^src/'},
      to: {path: '^src/index\\.ts$'},
    },
    {
      name: 'known-folders-only',
      comment: `every file in src/ belongs to a layer (${all.join(', ')}) or is src/index.ts`,
      severity: 'error',
      from: {path: '^src/', pathNot: `^src/(${all.join('|')})/|^src/index\\.ts$`},
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'imports form no cycle (type-only imports included)',
      severity: 'error',
      from: {path: '^src/'},
      to: {circular: true},
    },
    {
      name: 'tests-import-src-not-dist',
      severity: 'error',
      from: {path: '^test/'},
      to: {path: '^dist/'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    exclude: {path: '^dist/|^node_modules/'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {extensions: ['.ts', '.tsx', '.js', '.json']},
  },
}
