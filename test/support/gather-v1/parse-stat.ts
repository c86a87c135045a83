import type {PathStat, RawFile} from '../../../src/model/snapshot.js'
import {parseStatLine} from '../../../src/gather/parse-stat.js'
import {optionalText, parseKeyValues, type Section} from '../../../src/protocol/frames.js'

/** A `meta` section: existence, lstat, stat (following links), link target, real path, sha256. */
export function parseMeta(section: Section): PathStat & {sha256?: string} {
  const values = parseKeyValues(section.content)
  const lstat = parseStatLine(values.get('lstat'))
  const target = parseStatLine(values.get('stat'))
  const isSymlink = lstat?.type === 'symlink'
  const present = values.get('exists') === '1'
  const exists = present && target !== undefined
  let error = optionalText(values.get('error'))
  if (present && target === undefined) error = isSymlink ? 'dangling symlink' : (error ?? 'stat failed')
  return {
    path: section.arg,
    exists,
    ...(target ?? (isSymlink ? {} : lstat)),
    isSymlink,
    linkTarget: isSymlink ? values.get('link') : undefined,
    realPath: optionalText(values.get('real')),
    readable: values.has('readable') ? values.get('readable') === '1' : undefined,
    sha256: optionalText(values.get('sha256')),
    error,
  }
}

/** A `meta` section plus its optional `data` section. */
export function toRawFile(meta: Section, data: Section | undefined, warnings: string[]): RawFile {
  const stat = parseMeta(meta)
  const file: RawFile = {...stat, readable: stat.readable ?? false}
  if (data !== undefined) {
    file.content = data.content
    file.truncated = data.flags.includes('truncated') || !data.complete
    if (file.truncated) warnings.push(`${meta.arg}: content truncated at the gather size cap`)
  } else if (stat.exists && stat.type === 'file' && !file.readable) {
    file.error ??= 'not readable by the gathering user'
  }
  return file
}

/** getfacl -pc output: entries without comments or blank lines. */
export function parseAcl(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}
