// Smoke tests of the real process: bin/run.js spawned as a user runs it (the other command tests run in-process).
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {runCliProcess as runCli} from '../helpers/cli.js'

test('motion --help lists commands and exits 0', async () => {
  const r = await runCli(['--help'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /USAGE/)
  assert.match(r.stdout, /info/)
})

test('an unknown flag is a usage error: exit 2 with a hint', async () => {
  const r = await runCli(['info', '--no-such-flag'])
  assert.equal(r.code, 2)
  assert.match(r.stderr, /Nonexistent flag/)
  assert.match(r.stderr, /Hint:/)
})
