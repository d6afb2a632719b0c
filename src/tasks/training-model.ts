/** The finetune starting point shared by the tasks: --from, loaded as it is. */
import {inputError} from '../core/errors.js'
import {loadModel} from '../model/load.js'
import type {Model} from '../model/model.js'
import type {RunSettings} from './train-types.js'

export async function finetuneBase(settings: RunSettings): Promise<Model> {
  if (!settings.from) throw inputError('finetune needs --from (an official checkpoint, a model folder or a training run)')
  const loaded = await loadModel(settings.from, {config: {}})
  return loaded.model
}
