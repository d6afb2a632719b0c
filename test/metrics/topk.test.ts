/** Class probabilities: softmax, and a track's label from its windows (as predict --task action labels a person). */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {softmax, trackProbabilities} from '../../src/metrics/topk.js'

test('softmax sums to 1, keeps the order and survives large logits', () => {
  const p = softmax([1, 3, 2])
  assert.ok(Math.abs(p.reduce((a, v) => a + v, 0) - 1) < 1e-12)
  assert.ok(p[1]! > p[2]! && p[2]! > p[0]!)
  const big = softmax([1000, 1001])
  assert.ok(big.every(Number.isFinite))
  assert.ok(Math.abs(big[1]! - 1 / (1 + Math.exp(-1))) < 1e-12)
})

test('trackProbabilities: each window\'s softmax, and their mean (not the mean of the logits)', () => {
  const logits = [10, 0, 0, 2]
  const {perWindow, mean} = trackProbabilities(logits, 2, 2)
  assert.deepEqual(perWindow, [softmax([10, 0]), softmax([0, 2])])
  const expected = [(softmax([10, 0])[0]! + softmax([0, 2])[0]!) / 2, (softmax([10, 0])[1]! + softmax([0, 2])[1]!) / 2]
  assert.ok(mean.every((v, k) => Math.abs(v - expected[k]!) < 1e-12))
  assert.ok(Math.abs(mean[0]! + mean[1]! - 1) < 1e-12)
  // Where the two differ: one window very sure of class 0, two fairly sure of class 1. Summed
  // logits pick class 0 (20 against 6); the mean probability picks class 1 (about 0.64).
  const split = trackProbabilities([20, 0, 0, 3, 0, 3], 3, 2).mean
  assert.ok(split[1]! > split[0]!, `mean probabilities ${split.join(', ')}`)
  assert.throws(() => trackProbabilities([1, 2, 3], 2, 2), /3 logits are not 2 windows of 2 classes/)
})
