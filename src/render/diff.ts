import {createTwoFilesPatch, FILE_HEADERS_ONLY} from 'diff'

import {paint} from './style.js'

/** A git-style unified diff (`--- a/path`, `+++ b/path`) of one file's bytes. */
export function unifiedDiff(path: string, before: string, after: string): string {
  const patch = createTwoFilesPatch(`a${path}`, `b${path}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  })
  return `diff --git a${path} b${path}\n${patch}`
}

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
