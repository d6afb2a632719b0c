/**
 * 2D noise for training inputs, in normalised units: plain gaussian jitter, and the official
 * synthetic detection-noise model of MotionBERT's Augmenter2D.add_noise with its distance-to-
 * confidence mapping (parameters from the official params/synthetic_noise.pth and
 * params/d2c_params.pkl, Apache-2.0).
 */
import type {NDArray} from '../../core/ndarray.js'
import type {Rng} from '../../core/rng.js'

/** Adds N(0, std) to x and y of `[..., C>=2]`; other channels untouched. Returns new data. */
export function addGaussianNoise(x: NDArray, std: number, rng: Rng): NDArray {
  const C = x.shape[x.shape.length - 1]!
  const out = Float32Array.from(x.data)
  for (let i = 0; i < out.length; i += C) {
    out[i] = out[i]! + rng.normal(0, std)
    out[i + 1] = out[i + 1]! + rng.normal(0, std)
  }
  return {data: out, shape: [...x.shape]}
}

export interface SyntheticNoiseModel {
  /** Per joint [x, y] mean of the gaussian component (17 x 2). */
  mean: readonly (readonly [number, number])[]
  /** Per joint [x, y] standard deviation of the gaussian component. */
  std: readonly (readonly [number, number])[]
  /** Per joint probability of the gaussian (else uniform) component. */
  weight: readonly number[]
  /** Width of the uniform component. */
  uniformRange: number
  /** Keyframes the noise is drawn at, interpolated linearly in time. */
  keyframes: number
  /** Std of the per-frame jitter added on top (shared by a batch, as official). */
  frameNoiseStd: number
  /** Distance-to-confidence: conf = a/(d + a) + b·d + N(m, s), clipped to [0, 1]. */
  d2c: {a: number; b: number; m: number; s: number}
}

export const OFFICIAL_SYNTHETIC_NOISE: Readonly<SyntheticNoiseModel> = Object.freeze<SyntheticNoiseModel>({
  mean: [
    [0.0008132532206415176, 0.0002123957794343385], [-0.00014820766367979008, 0.001997602659830032],
    [0.002038824210894637, -0.0015100829056781799], [0.0009438474570305246, 0.0009083699237753135],
    [0.001867110248528105, -0.0007037034450687731], [0.0019328396070487199, -0.005204165804974786],
    [0.0008942056436280798, -0.001871771113689443], [0.002467694312049389, 0.0023339168741767025],
    [0.0021412224082639135, -0.006508411043969023], [0.0016559242552996734, 0.0016551084378241497],
    [0.0008369439689565895, 0.0015929352238531081], [0.0007939353618974142, -0.004621909163123653],
    [0.0014993540020391042, 0.00029601713545545814], [0.0011591824590848712, 0.0016299643529509432],
    [0.002103820868195803, -0.003166051898485928], [0.0016822635945976643, -0.0003300032534713677],
    [0.001663880852602262, 0.0013175154893377186],
  ],
  std: [
    [0.003662630041640461, 0.0035726057983897614], [0.0071349284931432454, 0.005109186552172369],
    [0.006084422689136702, 0.005003425844735228], [0.00895302418680377, 0.00529317413820226],
    [0.006716577444309778, 0.005327725905047089], [0.007012923918432476, 0.00492122980480096],
    [0.009505804410684347, 0.005625369112028657], [0.006588318921158009, 0.004967669570185413],
    [0.005491424744604293, 0.005305329016810842], [0.005338831246369957, 0.004876642002854535],
    [0.00341637764777077, 0.0034922421450041914], [0.008006617254463182, 0.006087204448522537],
    [0.005167672298473774, 0.00475361500588003], [0.004990403929579402, 0.005089037811800102],
    [0.007823454557123282, 0.007934266165636946], [0.006009086297262234, 0.005721288594996581],
    [0.005370299691147723, 0.005684071647289275],
  ],
  weight: [
    0.9987454248783952, 0.9669543010510732, 0.8896068688589165, 0.8938353296160423, 0.9746202074492064, 0.876672936095582,
    0.8210062542870395, 0.9578073863968175, 0.9183146347407266, 0.9679403167247258, 0.9841198119110484, 0.890993166463285,
    0.8015561746381451, 0.7027702297593045, 0.8808956276567164, 0.8246287738293403, 0.7287476097892377,
  ],
  uniformRange: 0.06,
  keyframes: 27,
  frameNoiseStd: 0.002,
  d2c: {a: 0.028, b: 1.1, m: -0.0045856964, s: 0.14310569},
})

/**
 * The official synthetic noise on a batch `[N, T, J, C>=2]` (normalised units): per sample and
 * joint, a gaussian (per-joint mean/std) or uniform offset drawn at `keyframes` key frames and
 * interpolated linearly over time (trilinear, align_corners), plus per-frame jitter shared by the
 * batch; the confidence channel is replaced by the distance-to-confidence map of the offset.
 * Returns `[N, T, J, 3]`.
 */
export function addSyntheticNoise(batch: NDArray, rng: Rng, model: SyntheticNoiseModel = OFFICIAL_SYNTHETIC_NOISE): NDArray {
  const [N, T, J, C] = batch.shape as [number, number, number, number]
  if (model.mean.length !== J) throw new Error(`addSyntheticNoise: the noise model has ${model.mean.length} joints, the batch ${J}`)
  const K = model.keyframes
  // Per-frame jitter [T, J, 2], shared by every sample of the batch as in the official code.
  const jitter = new Float64Array(T * J * 2)
  for (let i = 0; i < jitter.length; i++) jitter[i] = rng.normal(0, model.frameNoiseStd)
  const out = new Float32Array(N * T * J * 3)
  const key = new Float64Array(K * J * 2)
  const {a, b, m, s} = model.d2c
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < J; j++) {
        const gaussian = rng.next() < model.weight[j]!
        for (let c = 0; c < 2; c++) {
          key[(k * J + j) * 2 + c] = gaussian
            ? rng.normal(0, 1) * model.std[j]![c]! + model.mean[j]![c]!
            : (rng.next() - 0.5) * model.uniformRange
        }
      }
    }
    for (let t = 0; t < T; t++) {
      // align_corners=True: output frame t samples key position t·(K-1)/(T-1).
      const pos = T > 1 ? (t * (K - 1)) / (T - 1) : 0
      const k0 = Math.min(Math.floor(pos), K - 1)
      const k1 = Math.min(k0 + 1, K - 1)
      const w = pos - k0
      for (let j = 0; j < J; j++) {
        let dist2 = 0
        const src = ((n * T + t) * J + j) * C
        const dst = ((n * T + t) * J + j) * 3
        for (let c = 0; c < 2; c++) {
          const delta = (1 - w) * key[(k0 * J + j) * 2 + c]! + w * key[(k1 * J + j) * 2 + c]! + jitter[(t * J + j) * 2 + c]!
          out[dst + c] = batch.data[src + c]! + delta
          dist2 += delta * delta
        }
        const dist = Math.sqrt(dist2)
        const conf = a / (dist + a) + b * dist + (rng.normal(0, 1) * s + m)
        out[dst + 2] = Math.min(Math.max(conf, 0), 1)
      }
    }
  }
  return {data: out, shape: [N, T, J, 3]}
}
