import type {NginxSourceFile} from './types.js'

const HEADER = /^# configuration file (.+):$/

interface Header {
  path: string
  start: number
  contentStart: number
}

function findHeaders(stdout: string): Header[] {
  const headers: Header[] = []
  let lineStart = 0
  while (lineStart < stdout.length) {
    const newline = stdout.indexOf('\n', lineStart)
    const lineEnd = newline === -1 ? stdout.length : newline
    const match = HEADER.exec(stdout.slice(lineStart, lineEnd))
    if (match) headers.push({path: match[1]!, start: lineStart, contentStart: Math.min(lineEnd + 1, stdout.length)})
    lineStart = lineEnd + 1
  }
  return headers
}

/**
 * Splits `nginx -T` stdout into the files it lists. nginx writes, per file, the
 * header line, the file's bytes unchanged, then one "\n" (ngx_write_stdout(NGX_LINEFEED)),
 * so each file's content is the text up to the next header minus that one "\n".
 * Anything before the first header (e.g. merged stderr) is not a file and is dropped.
 */
export function splitNginxDump(stdout: string): NginxSourceFile[] {
  const headers = findHeaders(stdout)
  return headers.map((header, index) => {
    const blockEnd = headers[index + 1]?.start ?? stdout.length
    const block = stdout.slice(header.contentStart, blockEnd)
    return {path: header.path, content: block.endsWith('\n') ? block.slice(0, -1) : block}
  })
}

/** The inverse of splitNginxDump: the exact text `nginx -T` prints for these files. */
export function formatNginxDump(files: ReadonlyArray<NginxSourceFile>): string {
  return files.map((file) => `# configuration file ${file.path}:\n${file.content}\n`).join('')
}
