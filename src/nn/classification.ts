/** Classification loss for action training (torch.nn.CrossEntropyLoss, mean reduction), on the op interface. */
import type {Ops} from './ops.js'

/** One-hot rows `[N, classes]` for class indices. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes)
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!
    if (!Number.isInteger(c) || c < 0 || c >= classes) throw new Error(`label ${c} of sample ${i} is not a class index in [0, ${classes})`)
    out[i * classes + c] = 1
  }
  return out
}

/** mean_i −log softmax(logits_i)[label_i]; logits `[N, C]`, target one-hot `[N, C]`. */
export function crossEntropy<T>(ops: Ops<T>, logits: T, targetOneHot: T): T {
  // Shifting by the row max keeps exp finite; the shift cancels in log-softmax (and its gradient).
  const shifted = ops.sub(logits, ops.max(logits, [-1], true))
  const logSumExp = ops.log(ops.sum(ops.exp(shifted), [-1], true)) // [N, 1]
  const logProb = ops.sub(shifted, logSumExp) // [N, C]
  const picked = ops.sum(ops.mul(logProb, targetOneHot), [-1]) // [N]
  return ops.neg(ops.mean(picked, [0]))
}
