import type {Section} from '../protocol/frames.js'
import {parseKeyValues} from '../protocol/frames.js'

/**
 * What the script's batch (gather/script/batch.sh) found out about the paths the collectors
 * registered with `meta`: one stat, one stat -L, one realpath, one sha256sum, one getfacl and
 * one head for all of them. The lists those commands ran over follow from the meta sections,
 * in the order the script printed them (see meta() in common.sh).
 */
export interface BatchResults {
  /** lstat fields ('%F|%s|%a|%U|%u|%G|%g|%i') and the symlink's target text, by path. */
  lstat: Map<string, {fields: string; link?: string}>
  /** stat -L fields, by path. */
  stat: Map<string, string>
  /** stat's complaint about a path it could not stat. */
  statError: Map<string, string>
  real: Map<string, string>
  sha256: Map<string, string>
  acl: Map<string, string[]>
  /** Content of each meta section that asked for it. */
  content: Map<Section, ReadChunk>
  /** The last bytes of each meta section that asked for them. */
  tails: Map<Section, ReadChunk>
}

export interface ReadChunk {
  text: string
  /** False when the output ended inside this file. */
  complete: boolean
}

/** `B|fields|B|name[|B|%N]` records, each ending in a newline; a name may span lines. */
function statRecords(content: string, boundary: string): Array<{fields: string; name: string; described?: string}> {
  const records: Array<{fields: string; name: string; described?: string}> = []
  for (const raw of `\n${content}`.split(`\n${boundary}|`).slice(1)) {
    const [fields = '', name = '', described] = raw.replace(/\n$/, '').split(`|${boundary}|`)
    records.push({fields, name, described})
  }
  return records
}

/** The target in stat's %N of a symlink: `name -> target` (QUOTING_STYLE=literal) or BusyBox's `'name' -> 'target'`. */
function linkTarget(name: string, described: string | undefined): string | undefined {
  if (described === undefined) return undefined
  if (described.startsWith(`${name} -> `)) return described.slice(name.length + 4)
  const quoted = `'${name}' -> '`
  if (described.startsWith(quoted) && described.endsWith("'")) return described.slice(quoted.length, -1)
  return undefined
}

/** sha256sum lines; GNU escapes a name holding a backslash or newline and marks the line with a leading backslash. */
function parseSha256(text: string): Map<string, string> {
  const sums = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^(\\?)([0-9a-f]{64}) [ *](.*)$/.exec(line)
    if (match === null) continue
    const [, escaped, sum = '', name = ''] = match
    const path =
      escaped === ''
        ? name
        : name.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'))
    if (!sums.has(path)) sums.set(path, sum)
  }
  return sums
}

/** getfacl -p blocks: `# file: NAME` (octal escapes, `\\`), comment lines, entries, a blank line. */
function parseAcls(text: string): Map<string, string[]> {
  const acls = new Map<string, string[]>()
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').map((line) => line.trim())
    const header = lines.find((line) => line.startsWith('# file: '))
    if (header === undefined) continue
    const name = header
      .slice('# file: '.length)
      .replace(/\\(\\|[0-7]{3})/g, (_, code: string) => (code === '\\' ? '\\' : String.fromCharCode(parseInt(code, 8))))
    acls.set(
      name,
      lines.filter((line) => line !== '' && !line.startsWith('#')),
    )
  }
  return acls
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)]
}

export function readBatch(sections: Section[], boundary: string): BatchResults {
  const metas = sections.filter((section) => section.kind === 'meta')
  const first = (kind: string): Section | undefined => sections.find((section) => section.kind === kind)
  const values = new Map(metas.map((section) => [section, parseKeyValues(section.content)]))

  const lstat = new Map<string, {fields: string; link?: string}>()
  for (const record of statRecords(first('lstat')?.content ?? '', boundary)) {
    lstat.set(record.name, {fields: record.fields, link: linkTarget(record.name, record.described)})
  }
  const stat = new Map(
    statRecords(first('stat')?.content ?? '', boundary).map((record) => [record.name, record.fields]),
  )

  // stat complains once per path it cannot stat, in the order it was given them.
  const statError = new Map<string, string>()
  const errors = (sections.find((section) => section.kind === 'stderr' && section.tag === 'stat')?.content ?? '')
    .split('\n')
    .filter((line) => line !== '')
  const missing = unique(metas.map((section) => section.arg)).filter((path) => !stat.has(path))
  missing.forEach((path, index) => {
    const error = errors[index]
    if (error !== undefined) statError.set(path, error)
  })

  const real = new Map<string, string>()
  const resolved = unique(metas.filter((section) => values.get(section)?.get('resolve') === '1').map((s) => s.arg))
  const reals = (first('real')?.content ?? '').split('\n')
  resolved.forEach((path, index) => {
    const answer = reals[index]
    if (answer !== undefined && answer !== '') real.set(path, answer)
  })

  /** head/tail over several files, split at the separator they read between two files. */
  const chunks = (kind: string, flag: string): Map<Section, ReadChunk> => {
    const read = new Map<Section, ReadChunk>()
    const section = first(kind)
    if (section === undefined) return read
    const parts = section.content.split(`B=${boundary}\0`)
    const readers = metas.filter((meta) => values.get(meta)?.get(flag) === '1')
    readers.forEach((meta, index) => {
      const text = parts[index]
      if (text !== undefined) read.set(meta, {text, complete: section.complete || index < parts.length - 1})
    })
    return read
  }

  return {
    lstat,
    stat,
    statError,
    real,
    sha256: parseSha256(first('sha256')?.content ?? ''),
    acl: parseAcls(first('acl')?.content ?? ''),
    content: chunks('content', 'content'),
    tails: chunks('tails', 'tail'),
  }
}
