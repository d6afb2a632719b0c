/**
 * What a backbone registry entry provides. Entries are plain objects (no switch on model names):
 * config schema, config inference from weight shapes, the parameter list, official key map and
 * the forward pass written once against Ops<T>.
 */
import type {BackboneConfigRules, ConfigKeySpec, RawConfig} from '../../config/types.js'
import type {BackboneLoss} from '../losses-literature.js'
import type {Ops} from '../ops.js'
import type {OutputUnits} from './units.js'

/** Lists are per-layer settings such as the Strided Transformer's `stride_num`. */
export type ConfigValue = number | boolean | string | readonly number[]
/** A resolved config for one entry: every key it reads has a value. */
export type EntryConfig = Record<string, ConfigValue>
/** Parameter name → shape, names relative to the entry's prefix (`backbone.` / `head.`). */
export type ParamShapes = ReadonlyMap<string, readonly number[]>

/** The sizes `motion bench` times: a test-sized model, a light one and the published one. */
export const SIZE_PRESETS = ['tiny', 'lite', 'full'] as const
export type SizePreset = (typeof SIZE_PRESETS)[number]

/** The outputs of a backbone; `representation` is what heads consume when present. */
export type BackboneOutputs<T> = Record<string, T>

export interface BackboneEntry<C extends EntryConfig = EntryConfig> {
  readonly name: string
  readonly description: string
  readonly configKeys: readonly ConfigKeySpec[]
  readonly defaults: Readonly<C>
  /** Axis names of the input the backbone takes, e.g. ['N', 'T', 'J', 'C']. */
  readonly inputLayout: readonly string[]
  /** Names of the tensors forwardFeatures returns (`representation` for encoders). */
  readonly outputs: readonly string[]
  /** Official checkpoint key conventions (see src/model/official.ts). */
  readonly official: OfficialKeyMap
  /** Its numbered blocks, in forward order (`--freeze N` trains the last N). */
  readonly blocks: BlockLayout
  /**
   * Inference on screen-normalised 2D (MixSTE, Strided): how a sequence is cut into windows.
   * Absent: the official infer_wild (DSTformer), no lifting strategy.
   */
  readonly screenWindows?: ScreenWindows
  /** Its own training objective (MixSTE, Strided); absent: MotionBERT's combined pose loss. */
  readonly poseLoss?: BackboneLoss
  /** Config keys of that objective (its weights, the official values as defaults; group loss). */
  readonly lossKeys?: readonly ConfigKeySpec[]
  /** What the config loader checks across this backbone's keys: clip_len's window, divisibility. */
  readonly configRules?: BackboneConfigRules
  /**
   * The head its 3D poses come from: `none` when the backbone ends in its own output layers
   * (`pose3d` among its outputs), else the pose head that reads its representation.
   */
  readonly poseHead: string
  /** Model sizes `motion bench` times, in its own config keys (frames excluded). */
  readonly benchSizes: Readonly<Record<SizePreset, Readonly<RawConfig>>>
  /** The config keys that make it take benchmark clips of `frames` (window length, input channels). */
  benchClip(frames: number): RawConfig

  /**
   * Resolve the config: values given in `partial` win, then what the weights' shapes say, then
   * defaults. `weights` may be empty (a fresh model). Throws MotionError for invalid values.
   */
  inferConfig(weights: ParamShapes, partial: RawConfig): C
  /** Required parameters and their shapes, names relative to the backbone prefix. */
  expectedParams(config: C): Map<string, number[]>
  /** Parameters that may be present (buffers) but are not required. */
  optionalParams?(config: C): Map<string, number[]>
  /** Feature size of `representation` (last axis) and joints, for heads that attach. */
  describeOutput(config: C): {representationDim: number; numJoints: number}
  /** A problem with an input shape (in words), or null when the backbone can take it. */
  checkInput(shape: readonly number[], config: C): string | null
  /** The forward pass; `prefix` (e.g. `backbone.`) is prepended to every parameter name. */
  forwardFeatures<T>(ops: Ops<T>, x: T, config: C, prefix: string): BackboneOutputs<T>
}

export interface OfficialKeyMap {
  /** A key that every official checkpoint of this backbone has (relative to the backbone). */
  readonly signature: string
  /** Official key → native key relative to the prefix, or null to drop it. */
  toNative(key: string): string | null
  /** Native key relative to the prefix → official key. */
  toOfficial(key: string): string
  /**
   * In a bare official checkpoint (no `backbone.` wrapper), keys under `prefix` belong to the
   * named head (the DSTformer's own `head` Linear is the pose3d head).
   */
  readonly bareHead?: {prefix: string; head: string}
  /** Keys dropped when the backbone sits inside a wrapper (ActionNet keeps an unused `backbone.head`). */
  droppedWhenWrapped?(key: string): boolean
  /** Units of the official checkpoints' own pose3d output (backbones with output layers); default normalised. */
  readonly outputUnits?: OutputUnits
}

/**
 * Where a backbone's blocks are: what `--freeze N` trains (the last N blocks and what follows
 * them) and keeps frozen (the embeddings and earlier blocks).
 */
export interface BlockLayout {
  /**
   * Each parameter's block for these parameters (names relative to the backbone, e.g.
   * `blocks_st.3.attn_s.qkv.weight` → 3), null for one outside the numbered blocks.
   */
  numbering(relNames: readonly string[]): (rel: string) => number | null
  /** Whether a parameter outside the blocks runs after them (final norms, output layers) rather than before (embeddings). */
  afterBlocks(rel: string): boolean
}

/** Blocks that are numbered groups `<group>.<i>.*` of the named groups (`i` is the block). */
export function numberedGroups(groups: readonly string[], after: (rel: string) => boolean): BlockLayout {
  const re = new RegExp(`^(?:${groups.join('|')})\\.(\\d+)\\.`)
  return {
    numbering: () => (rel) => {
      const m = re.exec(rel)
      return m ? Number(m[1]) : null
    },
    afterBlocks: after,
  }
}

export interface ScreenWindows {
  /**
   * 'clips': consecutive clips of the window length, the last one the final frames (every frame
   * predicted); 'centre-frame': one edge-padded window per frame, its centre frame predicted.
   */
  readonly kind: 'clips' | 'centre-frame'
  /** The windowing in words (recorded in outputs). */
  readonly description: string
}
