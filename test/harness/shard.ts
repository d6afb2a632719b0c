/**
 * Runs several test files in one process, one file after the other, as if each had its own.
 *
 * `npm test` (test/harness/run.ts) gives node's test runner a few shard entries instead of the
 * ~100 test files: each process would otherwise load node, oclif, tfjs and onnxruntime again for a
 * handful of tests. A shard imports its files in turn and waits for every test a file registered
 * before it imports the next, so a file's module-level code, its `before` hooks and its tests run
 * with no other file's tests in flight; node:test runs a file's top-level `after` hooks when its
 * last test is done, as in a process of its own. Between files the shard puts back what a file may
 * leave behind for the next one: the environment, the working folder and the tfjs backend.
 *
 * How a shard knows when a file's tests are done: node:test's `test`/`it`/`describe`/`suite`
 * return a promise that settles when that test has run; they are wrapped here (before any test
 * file imports node:test, and re-exported to ES modules by syncBuiltinESMExports) to collect those
 * promises. A file that cannot be imported is reported as one failing test named after it.
 *
 * On Linux a shard keeps to one CPU of its own (the first one no other running shard holds, see
 * pinToOneCpu), so that with as many shards running as CPUs they do not compete: onnxruntime,
 * which sizes its thread pool by the CPUs it may use, runs one thread per shard instead of two
 * spinning threads per shard on a 2-core machine (about a fifth of the CPU time of the onnx-heavy
 * command tests). MOTION_TEST_PIN=0 turns this off.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire, syncBuiltinESMExports} from 'node:module'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import type * as NodeTest from 'node:test'
import {allowedCpus} from '../helpers/cpus.js'

const nodeTest = createRequire(import.meta.url)('node:test') as typeof NodeTest & Record<string, unknown>

let pending: Promise<unknown>[] = []
/** True while a file is being imported, and how deep in describe/suite bodies the import is. */
let importing = false
let suiteDepth = 0
/** The top-level `after` hooks of the file being run: each settles when its hook has run. */
let rootAfters: Promise<void>[] = []

function track<T>(result: T): T {
  if (result && typeof (result as {then?: unknown}).then === 'function') pending.push(Promise.resolve(result))
  return result
}

type AnyFn = (...args: unknown[]) => unknown

for (const name of ['test', 'it', 'describe', 'suite'] as const) {
  const original = nodeTest[name] as unknown as AnyFn & Record<string, unknown>
  if (typeof original !== 'function') continue
  const isSuite = name === 'describe' || name === 'suite'
  // A suite's body runs inside the describe() call: hooks registered there are the suite's.
  const call = (fn: AnyFn, self: unknown, args: unknown[]): unknown => {
    if (isSuite) suiteDepth++
    try {
      return track(Reflect.apply(fn, self, args))
    } finally {
      if (isSuite) suiteDepth--
    }
  }
  const wrapped = function (this: unknown, ...args: unknown[]) {
    return call(original, this, args)
  } as AnyFn & Record<string, unknown>
  for (const variant of ['skip', 'todo', 'only']) {
    const fn = original[variant]
    if (typeof fn === 'function') wrapped[variant] = function (this: unknown, ...args: unknown[]) {
      return call(fn as AnyFn, this, args)
    }
  }
  ;(nodeTest as Record<string, unknown>)[name] = wrapped
}

// node:test runs the top-level `after` hooks whenever its root has no test left to run, without
// waiting for them to finish before the next test starts: one file's async `after` (a browser
// closing) would still be running when the next file registers its own, which then runs at once
// (a scratch folder removed under that file's tests). So the shard waits for a file's top-level
// `after` hooks to finish before it imports the next file.
const originalAfter = nodeTest.after as unknown as AnyFn
;(nodeTest as Record<string, unknown>).after = function (this: unknown, fn: unknown, ...rest: unknown[]) {
  if (!importing || suiteDepth > 0 || typeof fn !== 'function') return Reflect.apply(originalAfter, this, [fn, ...rest])
  const hook = fn as AnyFn
  let finished!: () => void
  rootAfters.push(new Promise<void>((resolve) => (finished = resolve)))
  const run = function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const result =
      hook.length >= 2
        ? new Promise((resolve, reject) => {
            hook.call(this, args[0], (err?: unknown) => (err ? reject(err) : resolve(undefined)))
          })
        : Promise.resolve().then(() => hook.apply(this, args))
    return result.finally(finished)
  }
  return Reflect.apply(originalAfter, this, [run, ...rest])
}
syncBuiltinESMExports()

/** Resolves when every promise has settled, or after `ms` (a hook node:test never ran). */
async function settledOrTimeout(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}

/** One file's time in a shard (run.ts --update-weights turns the wall times into weights.json). */
export interface FileTiming {
  file: string
  /** Wall time from import to the file's last test, ms. */
  wallMs: number
  /** CPU time of the shard process (user + system) over the same span, ms; child processes not included. */
  cpuMs: number
}

/**
 * Imports `files` (paths relative to the shard entry `entryUrl`) one at a time and waits for each
 * file's tests. Writes the per-file timings beside the entry (`<entry>.timings.json`).
 *
 * With `claims` (a folder beside the entry), the shards share one list and take its files in
 * order: a shard runs a file only when it is the first to create `claims/<file>` (mkdir is atomic),
 * so each file runs once, and a shard that finishes early takes the next file instead of waiting
 * for a plan that guessed its files' times wrong. With `quota`, a shard stops taking files once the
 * `weights` of those it took reach it, and leaves the rest to the shards that start after it.
 */
export async function runFiles(entryUrl: string, files: string[], opts: {claims?: string; weights?: number[]; quota?: number} = {}): Promise<void> {
  const entry = fileURLToPath(entryUrl)
  pinToOneCpu(path.dirname(entry))
  const claims = opts.claims === undefined ? undefined : path.resolve(path.dirname(entry), opts.claims)
  if (claims) mkdirSync(claims, {recursive: true})
  const timings: FileTiming[] = []
  let taken = 0
  for (const [i, rel] of files.entries()) {
    if (opts.quota !== undefined && taken >= opts.quota) break
    if (claims && !claim(claims, rel)) continue
    taken += opts.weights?.[i] ?? 0
    const file = path.resolve(path.dirname(entry), rel)
    const env = {...process.env}
    const cwd = process.cwd()
    const started = performance.now()
    const cpu = process.cpuUsage()
    pending = []
    rootAfters = []
    importing = true
    try {
      await import(pathToFileURL(file).href)
    } catch (err) {
      nodeTest.test(`${path.relative(process.cwd(), file)} could not be loaded`, () => {
        throw err
      })
    } finally {
      importing = false
    }
    while (pending.length > 0) {
      const batch = pending
      pending = []
      await Promise.allSettled(batch)
    }
    await settledOrTimeout(rootAfters, 60_000)
    const used = process.cpuUsage(cpu)
    timings.push({file: rel, wallMs: Math.round(performance.now() - started), cpuMs: Math.round((used.user + used.system) / 1000)})
    restoreEnv(env)
    if (process.cwd() !== cwd) process.chdir(cwd)
    await restoreBackend()
  }
  writeFileSync(`${entry}.timings.json`, `${JSON.stringify(timings, null, 1)}\n`)
}

/** True for the one shard that creates the file's claim. */
function claim(dir: string, rel: string): boolean {
  try {
    mkdirSync(path.join(dir, rel.replace(/[/\\.]+/g, '_')))
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

function restoreEnv(saved: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
  for (const [key, value] of Object.entries(saved)) if (process.env[key] !== value) process.env[key] = value
}

/** The backend a fresh process's first `selectBackend()` picks (the first candidate that loads). */
let autoBackend: string | undefined

/**
 * A file that forced a tfjs backend (`selectBackend({force: 'cpu'})`, `--backend cpu`) leaves it
 * selected, and `selectBackend()` keeps returning it: the next file's auto selection would not be
 * what it is in a fresh process. Put the fresh process's choice back. Nothing to do where tfjs
 * was never loaded (tfjs-core keeps its engine on globalThis._tfengine).
 */
async function restoreBackend(): Promise<void> {
  if (!('_tfengine' in globalThis)) return
  const {currentBackend, probeBackends, selectBackend} = await import('../../src/nn/tfjs/backend.js')
  const selected = currentBackend()
  if (!selected) return
  autoBackend ??= (await probeBackends()).find((a) => a.ok)?.name
  if (!autoBackend || selected.backend === autoBackend) return
  try {
    await selectBackend({force: autoBackend as typeof selected.backend})
  } catch {
    // It loads but does not initialise here: the next file's own selection will say so.
  }
}

/**
 * Moves this process (every thread; threads, workers and children started later inherit it) to
 * one CPU that no other running shard holds: `lockDir/cpu-N` is created by the shard that takes
 * CPU N and removed when it exits. Nothing happens when every CPU is taken (more shards run at
 * once than there are CPUs), off Linux, without taskset, or with MOTION_TEST_PIN=0.
 */
function pinToOneCpu(lockDir: string): void {
  if (process.platform !== 'linux' || process.env.MOTION_TEST_PIN === '0') return
  const cpus = allowedCpus()
  if (cpus.length < 2) return
  for (const cpu of cpus) {
    const lock = path.join(lockDir, `cpu-${cpu}`)
    try {
      mkdirSync(lock)
    } catch {
      continue
    }
    process.on('exit', () => rmSync(lock, {recursive: true, force: true}))
    const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], {stdio: 'ignore'})
    if (r.status !== 0) rmSync(lock, {recursive: true, force: true})
    return
  }
}
