/** Top-k classification accuracy in percent, as the official `accuracy` (lib/utils/learning.py). */
import {inputError} from '../core/errors.js'
import {shapeString} from '../core/ndarray.js'
import type {FloatArray} from './shape.js'

/**
 * logits `[N, C]`, labels N class indices. Returns one percentage per k (ties broken by the lower
 * class index).
 */
export function topKAccuracy(logits: FloatArray, labels: ArrayLike<number>, ks: readonly number[] = [1, 5]): number[] {
  if (logits.shape.length !== 2) throw inputError(`top-k accuracy: logits must be [N, classes], got shape ${shapeString(logits.shape)}`)
  const [n, classes] = logits.shape as [number, number]
  if (labels.length !== n) {
    throw inputError(`top-k accuracy: ${labels.length} labels for logits of shape ${shapeString(logits.shape)}`)
  }
  if (n === 0) throw inputError('top-k accuracy: no samples')
  const ranks = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const label = labels[i]!
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw inputError(`top-k accuracy: label ${label} of sample ${i} is not a class index in [0, ${classes})`)
    }
    const row = logits.data.subarray(i * classes, (i + 1) * classes)
    const target = row[label]!
    // Rank = number of classes ranked before the label.
    let rank = 0
    for (let c = 0; c < classes; c++) if (row[c]! > target || (row[c] === target && c < label)) rank++
    ranks[i] = rank
  }
  return ks.map((k) => {
    let correct = 0
    for (let i = 0; i < n; i++) if (ranks[i]! < k) correct++
    return (100 * correct) / n
  })
}

export interface ClassAccuracy {
  class: string
  /** Samples whose true class this is. */
  samples: number
  /** Of them, ranked first. */
  correct: number
  /** correct / samples in percent (0 when the class has no samples). */
  top1: number
}

/**
 * Per-class top-1 and the confusion matrix (`confusion[true][predicted]`, counts) of logits `[N, C]`
 * against class-index labels; the predicted class is the arg-max, ties to the lower index, as
 * `topKAccuracy` ranks them.
 */
export function classBreakdown(logits: FloatArray, labels: ArrayLike<number>, classNames: readonly string[]): {perClass: ClassAccuracy[]; confusion: number[][]} {
  const [n, classes] = logits.shape as [number, number]
  if (classNames.length !== classes) throw inputError(`class breakdown: ${classNames.length} class names for ${classes} scores`)
  const confusion = Array.from({length: classes}, () => new Array<number>(classes).fill(0))
  for (let i = 0; i < n; i++) {
    const row = logits.data.subarray(i * classes, (i + 1) * classes)
    let best = 0
    for (let c = 1; c < classes; c++) if (row[c]! > row[best]!) best = c
    confusion[labels[i]!]![best]!++
  }
  const perClass = classNames.map((name, c) => {
    const samples = confusion[c]!.reduce((s, v) => s + v, 0)
    const correct = confusion[c]![c]!
    return {class: name, samples, correct, top1: samples === 0 ? 0 : (100 * correct) / samples}
  })
  return {perClass, confusion}
}

/** Class probabilities of one row of logits (numerically stable: the largest logit is taken out first). */
export function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits))
  const e = Array.from(logits, (v) => Math.exp(v - max))
  const sum = e.reduce((a, v) => a + v, 0)
  return e.map((v) => v / sum)
}

/**
 * A track's class probabilities from its windows' logits `[W, classes]` (flat): each window's
 * softmax, and their mean, by which `motion predict --task action` labels a person.
 */
export function trackProbabilities(logits: ArrayLike<number>, windows: number, classes: number): {perWindow: number[][]; mean: number[]} {
  if (windows < 1 || logits.length !== windows * classes) throw inputError(`mean probabilities: ${logits.length} logits are not ${windows} windows of ${classes} classes`)
  const perWindow = Array.from({length: windows}, (_, w) => softmax(Array.from({length: classes}, (_, k) => logits[w * classes + k]!)))
  const mean = Array.from({length: classes}, (_, k) => perWindow.reduce((a, p) => a + p[k]!, 0) / windows)
  return {perWindow, mean}
}
