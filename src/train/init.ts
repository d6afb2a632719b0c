/** Fresh weights now live with the model (src/model/init.ts), where the tasks' fresh heads use them. */
export {initialWeights, type InitOptions} from '../model/init.js'
