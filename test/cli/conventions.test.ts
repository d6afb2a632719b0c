/** oclif conventions (help, did-you-mean, autocomplete) and whole usage-error messages, in-process. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {describeUsageError} from '../../src/cli/usage-error.js'
import {runCli} from '../helpers/cli.js'

test('`motion help predict` and `motion predict -h` both show the predict help', async () => {
  for (const args of [['help', 'predict'], ['predict', '-h'], ['predict', '--help']]) {
    const r = await runCli(args)
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stdout, /USAGE\s+\$ motion predict \[INPUT\]/, args.join(' '))
    assert.match(r.stdout, /--video-size/, args.join(' '))
  }
})

test('a mistyped command is reported by the not-found plugin with exit 127', async () => {
  const r = await runCli(['predcit', 'x'])
  assert.equal(r.code, 127)
  assert.match(r.stderr, /is not a motion command/)
  assert.match(r.stderr, /motion help/)
})

test('the autocomplete plugin writes a bash completion script for motion', async () => {
  const r = await runCli(['autocomplete', 'script', 'bash'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /MOTION_AC_BASH_SETUP_PATH/)
})

test('a missing argument is named, with its description', async () => {
  const r = await runCli(['data', 'convert', '--out', 'x.csv'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /^Error: missing required argument: input \(Keypoint file/m)
  assert.match(r.stderr, /Hint: run `motion data convert --help`/)
  // predict's input is optional (--stream reads stdin): without either it says what it needs
  const p = await runCli(['predict'])
  assert.equal(p.code, 2)
  assert.match(p.stderr, /^Error: predict needs an input file \(or --stream/m)
})

test('a bad flag value gives the reason, in human and JSON form', async () => {
  const human = await runCli(['export', '--checkpoint', 'x', '--out', 'y.onnx', '--opset', '16'])
  assert.equal(human.code, 2)
  assert.match(human.stderr, /Error: --opset: expected an integer greater than or equal to 17 but received: 16/)
  const json = await runCli(['export', '--checkpoint', 'x', '--out', 'y.onnx', '--opset', '16', '--json'])
  assert.equal(json.code, 2)
  const parsed = JSON.parse(json.stdout) as {error: {message: string; hint: string; exitCode: number}}
  assert.match(parsed.error.message, /greater than or equal to 17/)
  assert.equal(parsed.error.exitCode, 2)
})

test('several problems are all listed', async () => {
  const r = await runCli(['export'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /The following errors occurred:\n {2}Missing required flag checkpoint\n {2}Missing required flag out/)
})

test('JSON errors never carry "hint": null', async () => {
  const r = await runCli(['data', 'info', '/no/such/file.npy', '--json'])
  assert.notEqual(r.code, 0)
  assert.doesNotMatch(r.stdout, /"hint":\s*null/)
  assert.ok(JSON.parse(r.stdout).error.message)
})

test('describeUsageError keeps every line of oclif messages', () => {
  assert.equal(describeUsageError('Missing 2 required args:\na  First.\nb  Second.\nSee more help with --help'), 'missing required arguments: a (First.), b (Second.)')
  assert.equal(describeUsageError('Parsing --x \n\tExpected a number\nSee more help with --help'), '--x: expected a number')
  assert.equal(describeUsageError('Nonexistent flag: --nope\nSee more help with --help'), 'Nonexistent flag: --nope')
})
