/**
 * Descriptions of the config keys several backbones read with one meaning (the config loader
 * merges the entries' declarations of a key, and a shared meaning reads as one sentence there).
 */
export const ATTENTION_HEADS_DESCRIPTION = 'Attention heads per block (cannot be read off a checkpoint; the official models use 8).'
export const MLP_RATIO_DESCRIPTION = 'Hidden width of the transformer MLPs as a multiple of the feature width.'
export const NUM_JOINTS_DESCRIPTION = 'Joints per frame (H36M-17 layout).'
export const QKV_BIAS_DESCRIPTION = 'Bias in the attention query/key/value projection.'
/** Why a width must be divisible by num_heads (the config loader's hint). */
export const HEAD_WIDTH_HINT = 'Each attention head gets width / num_heads channels.'
