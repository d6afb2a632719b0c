/** Reading the fixtures' case.json files (see /work/shared/fixtures/README.md). */
import {readFileSync} from 'node:fs'
import path from 'node:path'

/** A fixture folder's case.json, typed by the caller (each kind of fixture has its own fields). */
export function readCaseJson<T>(dir: string): T {
  return JSON.parse(readFileSync(path.join(dir, 'case.json'), 'utf8')) as T
}

/** case.json of the official DSTformer and ActionNet fixtures. */
export interface OfficialCase {
  kind: string
  checkpoint: string
  config: Record<string, number>
  cases: Array<Record<string, string | number[]>>
}

/** By fixture kind: forwardModel's output name → the case.json field naming its reference file. */
export const OFFICIAL_REFERENCES: Record<string, Record<string, string>> = {
  dstformer: {pose3d: 'output', representation: 'representation'},
  action: {logits: 'logits'},
}
