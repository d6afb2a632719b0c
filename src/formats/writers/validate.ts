import {inputError} from '../../core/errors.js'
import {NUM_JOINTS} from '../../core/h36m.js'
import {shapeString} from '../../core/ndarray.js'
import type {Prediction} from './types.js'

/** Every writer's precondition: x3d is [T >= 1, 17, 3] and finite (input2d, when given, [T, 17, 3]). */
export function checkPrediction(pred: Prediction, file: string): number {
  const s = pred.x3d.shape
  if (s.length !== 3 || s[1] !== NUM_JOINTS || s[2] !== 3 || s[0]! < 1) {
    throw inputError(`cannot write a prediction of shape ${shapeString(s)}; expected [frames >= 1, 17, 3]`, {file})
  }
  const bad = pred.x3d.data.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0) {
    throw inputError(`prediction has a non-finite value at frame ${Math.floor(bad / (NUM_JOINTS * 3))}; nothing written`, {file})
  }
  if (pred.input2d) {
    const s2 = pred.input2d.shape
    if (s2.length !== 3 || s2[0] !== s[0] || s2[1] !== NUM_JOINTS || s2[2] !== 3) {
      throw inputError(`2D input of shape ${shapeString(s2)} does not match the prediction ${shapeString(s)}`, {file})
    }
  }
  return s[0]!
}

/** Fixed-point text for numbers in text outputs (no exponent notation), trailing zeros dropped. */
export function fixed(v: number, digits: number): string {
  const s = v.toFixed(digits)
  if (!s.includes('.')) return s
  const t = s.replace(/0+$/, '').replace(/\.$/, '')
  return t === '-0' ? '0' : t
}
