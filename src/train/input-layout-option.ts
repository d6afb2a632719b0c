/** The `input_layout` option now lives with the augmentation it configures (src/data/augment/). */
export {inputLayoutOf} from '../data/augment/input-layout-option.js'
