/**
 * `npm run lint` (after tsc and dependency-cruiser): only the registries spell out backbone and
 * task names (issue 17). Everywhere else a decision that depends on a backbone or a task is a
 * property or hook of its registry entry, and names come from the registries (or, for defaults,
 * from the one constant each registry module exports). Comments may name them freely; string
 * literals, template text and (for backbones) identifiers may not.
 *
 * Registries: src/backbones/ (backbone names), src/heads/ and src/tasks/ (task names; a task is
 * served by the head of the same name, and each task folder is its registry entry).
 */
import tsParser from '@typescript-eslint/parser'

const BACKBONE_NAMES = ['dstformer', 'mixste', 'strided']
const TASK_NAMES = ['pose3d', 'action', 'mesh']

// Backbone names are not English words: any string that contains one as a word is flagged
// (`mixste_joint_weights` is a key of its own, not the name). Task names are ('action', 'mesh'):
// only a string that is exactly one is flagged.
const backboneWord = `/\\b(${BACKBONE_NAMES.join('|')})\\b/`
const taskExact = `/^(${TASK_NAMES.join('|')})$/`

// Module paths may name a registry's own files (`../backbones/strided.js`).
const notModulePath = ':not(ImportDeclaration, ExportNamedDeclaration, ExportAllDeclaration, ImportExpression, TSExternalModuleReference) >'

const backboneRules = [
  {selector: `${notModulePath} Literal[value=${backboneWord}]`, message: 'Backbone names belong to src/backbones/: use a registry entry property or DEFAULT_BACKBONE.'},
  {selector: `TemplateElement[value.raw=${backboneWord}]`, message: 'Backbone names belong to src/backbones/: use a registry entry property or DEFAULT_BACKBONE.'},
  {selector: `Identifier[name=/^(${BACKBONE_NAMES.join('|')})$/]`, message: 'Backbone names belong to src/backbones/: key the table by the registry entry instead.'},
]
const taskRules = [
  {selector: `Literal[value=${taskExact}]`, message: 'Task names belong to the registries (src/heads/, src/tasks/): use a registry entry property or DEFAULT_TASK.'},
  {selector: `TemplateElement[value.raw=${taskExact}]`, message: 'Task names belong to the registries (src/heads/, src/tasks/): use a registry entry property or DEFAULT_TASK.'},
]

export default [
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    languageOptions: {parser: tsParser, parserOptions: {ecmaFeatures: {jsx: true}}},
    linterOptions: {reportUnusedDisableDirectives: 'error'},
  },
  {
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/backbones/**', 'src/heads/**', 'src/tasks/**'],
    rules: {'no-restricted-syntax': ['error', ...backboneRules, ...taskRules]},
  },
  {
    files: ['src/heads/**/*.ts', 'src/tasks/**/*.ts', 'src/tasks/**/*.tsx'],
    rules: {'no-restricted-syntax': ['error', ...backboneRules]},
  },
]
