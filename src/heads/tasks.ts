/**
 * The task registry: what a model is for. Each task is served by the head of the same name (the
 * lifters' own output layers, head `none`, serve pose3d too; HeadEntry.task says which); src/tasks/
 * holds what predicting, evaluating and training each one takes (tasks/registry.ts,
 * tasks/train-registry.ts). Everything else decides by these entries' properties, not by name.
 *
 * Imports nothing, so command files can offer the task names as flag options at start-up.
 */

export const TASKS = ['pose3d', 'action', 'mesh'] as const
export type Task = (typeof TASKS)[number]

/** What a model of the task gives: 3D joints (in recorded units), class scores, or SMPL meshes. */
export type TaskOutput = 'joints' | 'classes' | 'meshes'

export interface TaskEntry {
  readonly name: Task
  readonly output: TaskOutput
  /** motion ships a model for it (models/<name>, src/model/default-model.ts). */
  readonly bundled: boolean
}

const entries: readonly TaskEntry[] = [
  {name: 'pose3d', output: 'joints', bundled: true},
  {name: 'action', output: 'classes', bundled: true},
  {name: 'mesh', output: 'meshes', bundled: false},
]

export const taskRegistry: ReadonlyMap<Task, TaskEntry> = new Map(entries.map((e) => [e.name, e]))

/** The task a command runs when none is given: 2D-to-3D lifting (also what predict --stream and serve run). */
export const DEFAULT_TASK: Task = 'pose3d'

export function isTask(name: unknown): name is Task {
  return typeof name === 'string' && taskRegistry.has(name as Task)
}

/** The entry of a task name; an unknown name is a bug here (names are checked where they come in). */
export function getTask(name: Task): TaskEntry {
  const entry = taskRegistry.get(name)
  if (!entry) throw new Error(`unknown task "${String(name)}" (known: ${TASKS.join(', ')})`)
  return entry
}
