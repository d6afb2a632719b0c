import assert from 'node:assert/strict'
import {test} from 'node:test'
import {count} from '../../src/core/text.js'

test('count: singular, plural, thousands separators, fractions as written', () => {
  assert.equal(count(1, 'frame'), '1 frame')
  assert.equal(count(0, 'frame'), '0 frames')
  assert.equal(count(1234, 'frame'), '1,234 frames')
  assert.equal(count(1234567, 'window'), '1,234,567 windows')
  assert.equal(count(2, 'person', 'people'), '2 people')
  assert.equal(count(1.5, 'second'), '1.5 seconds')
})
