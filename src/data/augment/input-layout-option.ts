/** The `input_layout` config key as training-pair options (shared by training and `motion eval`). */
import type {InputLayout} from './index.js'

/** `{inputLayout}` unless the layout is exact H36M (or absent, as in runs written before the key existed). */
export function inputLayoutOf(config: {input_layout?: unknown} | Record<string, unknown>): {inputLayout?: InputLayout} {
  const layout = (config as {input_layout?: unknown}).input_layout
  return typeof layout === 'string' && layout !== 'h36m17' ? {inputLayout: layout as InputLayout} : {}
}
