/**
 * Set `key = value` in one [section] of a php-fpm pool file, changing as little as possible:
 * the last active (uncommented) assignment of the key in that section is rewritten in place,
 * otherwise a new line is added after the section's last non-blank line. Comments stay.
 */
export function setPoolDirectiveText(text: string, section: string, key: string, value: string): string {
  if (/[\r\n]/.test(key + value)) throw new Error('pool directive key and value must be single-line')
  const lines = text.split('\n')
  const start = lines.findIndex((line) => sectionName(line) === section)
  if (start === -1) throw new Error(`pool file has no [${section}] section`)
  let end = lines.length
  for (let index = start + 1; index < lines.length; index++) {
    if (sectionName(lines[index]!) !== undefined) {
      end = index
      break
    }
  }
  const assignment = `${key} = ${value}`
  for (let index = end - 1; index > start; index--) {
    if (assignedKey(lines[index]!) === key) {
      lines[index] = assignment
      return lines.join('\n')
    }
  }
  let insertAt = end
  while (insertAt - 1 > start && lines[insertAt - 1]!.trim() === '') insertAt--
  lines.splice(insertAt, 0, assignment)
  return lines.join('\n')
}

function sectionName(line: string): string | undefined {
  return /^\s*\[([^\]]+)\]\s*$/.exec(line)?.[1]?.trim()
}

function assignedKey(line: string): string | undefined {
  return /^\s*([^;#=\s][^=]*?)\s*=/.exec(line)?.[1]
}
