import {paint} from './style.js'

/** Colour a unified diff the way git does; plain when the stream is not a colour TTY. */
export function colorDiff(diff: string, stream: NodeJS.WriteStream = process.stdout): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('diff --git') || line.startsWith('--- ') || line.startsWith('+++ '))
        return paint('bold', line, stream)
      if (line.startsWith('@@')) return paint('cyan', line, stream)
      if (line.startsWith('+')) return paint('green', line, stream)
      if (line.startsWith('-')) return paint('red', line, stream)
      return line
    })
    .join('\n')
}
