import assert from 'node:assert/strict'
import {test} from 'node:test'
import {formatTable} from '../../src/cli/table.js'

test('formatTable: names padded right, numbers left, short rows keep their columns', () => {
  const lines = formatTable([
    ['action', 'frames', 'N-MPJPE'],
    ['walking', '90', '48.5'],
    ['mean of actions', '3519', '61.9'],
    ['(mean of clips)', '', '49.7'],
  ])
  assert.deepEqual(lines, [
    'action           frames  N-MPJPE',
    'walking              90     48.5',
    'mean of actions    3519     61.9',
    '(mean of clips)             49.7',
  ])
  assert.deepEqual(formatTable([]), [])
})
