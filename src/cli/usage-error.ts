/**
 * oclif's parse errors (missing argument, bad flag value, several problems at once) put their
 * substance on the lines after the first: "Missing 1 required arg:\ninput  Keypoint file…".
 * This turns such a message into whole text for humans and for --json alike, without the
 * trailing "See more help with --help" (the hint says that).
 */

/** The whole message of an oclif parse error, tidied: every line kept, tabs made into indents. */
export function describeUsageError(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.replace(/\t/g, '  ').replace(/\s+$/, ''))
    .filter((line) => line.trim() !== '' && !/^See more help with --help$/.test(line.trim()))
  if (lines.length === 0) return 'invalid usage'
  const [first, ...rest] = lines
  const missingArgs = /^Missing (\d+) required args?:$/.exec(first.trim())
  if (missingArgs) {
    // "input  Keypoint file, or an OpenPose folder." → "input (Keypoint file, or an OpenPose folder.)"
    const named = rest.map((line) => {
      const m = /^\s*(\S+)\s{2,}(.*)$/.exec(line)
      return m ? `${m[1]} (${m[2]})` : line.trim()
    })
    const noun = Number(missingArgs[1]) === 1 ? 'argument' : 'arguments'
    return `missing required ${noun}: ${named.join(', ')}`
  }
  const parsing = /^Parsing (--?\S+)$/.exec(first.trim())
  if (parsing) {
    // "Parsing --opset" + "Expected an integer greater than or equal to 17 but received: 16"
    const reason = rest.map((line) => line.trim()).join(' ')
    return reason ? `${parsing[1]}: ${lowerFirst(reason)}` : `${parsing[1]}: invalid value`
  }
  if (rest.length === 0) return first.trim()
  // "The following errors occurred:" and the like: keep the list, one problem a line.
  return [first.trim(), ...rest.map((line) => `  ${line.trim()}`)].join('\n')
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0].toLowerCase() + text.slice(1) : text
}
