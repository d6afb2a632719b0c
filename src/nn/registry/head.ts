/** What a head registry entry provides; see src/nn/registry/backbone.ts for the backbone side. */
import type {BackboneOutputs, EntryConfig, ParamShapes} from './backbone.js'
import type {ConfigKeySpec, RawConfig} from '../../config/types.js'
import type {Ops} from '../ops.js'
import type {NDArray} from '../../core/ndarray.js'

/** What a head needs to know about the backbone it sits on. */
export interface BackboneInfo {
  representationDim: number
  numJoints: number
  config: EntryConfig
}

export interface HeadContext<T> {
  /** The model input as given (before prepareInput). */
  input: T
  backbone: BackboneInfo
  /** Prepended to every parameter name, e.g. `head.`. */
  prefix: string
}

export interface HeadEntry<C extends EntryConfig = EntryConfig> {
  readonly name: string
  readonly description: string
  /** The task its models serve (a name of the task registry, src/heads/tasks.ts). */
  readonly task: string
  readonly configKeys: readonly ConfigKeySpec[]
  readonly defaults: Readonly<C>
  /**
   * Its weights are initialised as the backbone's own (the official module's _init_weights covers
   * them), not with PyTorch's nn.Linear default (src/model/init.ts).
   */
  readonly initByBackbone?: boolean
  /** Axis names of the model input, e.g. ['N', 'M', 'T', 'J', 'C'] for action; empty: the backbone's. */
  readonly inputLayout: readonly string[]
  /** Names of the tensors the head returns; empty: it passes the backbone's outputs through. */
  readonly outputs: readonly string[]
  /** Whether forwardModel also returns the backbone's `representation` for this head. */
  readonly exposesRepresentation: boolean
  /** Whether the head reads the backbone's `representation` (so cannot sit on a backbone without one). */
  readonly needsRepresentation: boolean
  /**
   * When the head's first step after dropout pools frames (means over all of them or over
   * stretches, and the like), that pooling on plain arrays: [B, T, J, R] → [B, P, J, R]. A feature
   * cache (frozen backbone) then keeps each sample's P slots instead of every frame (P/T of the
   * memory, head steps that do not touch T frames) and hands them to forward as
   * `pooledRepresentation`; dropout then acts on the slots. Undefined: the head reads every frame.
   */
  poolFrames?(representation: NDArray, config: C): NDArray

  inferConfig(weights: ParamShapes, partial: RawConfig, backbone: BackboneInfo): C
  expectedParams(config: C, backbone: BackboneInfo): Map<string, number[]>
  optionalParams?(config: C, backbone: BackboneInfo): Map<string, number[]>
  /** The shape the backbone sees for a model input of `shape`, or a problem in words. */
  backboneInputShape(shape: readonly number[]): number[] | string
  /** Turn the model input into the backbone input (e.g. fold persons into the batch). */
  prepareInput<T>(ops: Ops<T>, x: T): T
  forward<T>(ops: Ops<T>, features: BackboneOutputs<T>, config: C, ctx: HeadContext<T>): Record<string, T>
  /**
   * Post-processing of the computed outputs in plain JS (not differentiated), e.g. the mesh head's
   * rotation matrices → official axis-angle theta. forwardModel / forwardModelOnnx apply it.
   */
  finishOutputs?(outputs: Record<string, NDArray>, config: C): Record<string, NDArray>
  /** Names of the arrays finishOutputs returns, when they differ from `outputs` (the graph's). */
  readonly finishedOutputs?: readonly string[]
  /** Whether a head parameter (name relative to the head) is a buffer that training must not update. */
  isBuffer?(name: string): boolean
}
