/** The units a pose model's `pose3d` output can be in (see src/model/units.ts for how they are chosen). */
export const OUTPUT_UNITS = ['normalized', 'metres', 'millimetres'] as const
export type OutputUnits = (typeof OUTPUT_UNITS)[number]

export function isOutputUnits(v: unknown): v is OutputUnits {
  return typeof v === 'string' && (OUTPUT_UNITS as readonly string[]).includes(v)
}
