import type {FileType, PathStat, RawFile} from '../../../src/model/snapshot.js'
import {optionalInt, optionalText, parseKeyValues, type Section} from '../../../src/protocol/frames.js'

interface StatFields {
  type: FileType
  size?: number
  mode?: string
  owner?: string
  uid?: number
  group?: string
  gid?: number
  inode?: number
}

function fileType(description: string): FileType {
  if (description.startsWith('regular')) return 'file'
  if (description === 'directory') return 'directory'
  if (description === 'symbolic link') return 'symlink'
  if (description === 'socket') return 'socket'
  if (description === 'fifo') return 'fifo'
  if (description.startsWith('character')) return 'char-device'
  if (description.startsWith('block')) return 'block-device'
  return 'other'
}

function userName(name: string | undefined): string | undefined {
  return name === undefined || name === '' || name === 'UNKNOWN' ? undefined : name
}

/** One `stat -c '%F|%s|%a|%U|%u|%G|%g|%i'` line. */
export function parseStatLine(line: string | undefined): StatFields | undefined {
  if (line === undefined || line === '') return undefined
  const parts = line.split('|')
  if (parts.length < 8) return undefined
  const [type = '', size, mode = '', owner, uid, group, gid, inode] = parts
  return {
    type: fileType(type),
    size: optionalInt(size),
    mode: /^[0-7]+$/.test(mode) ? mode.padStart(4, '0') : undefined,
    owner: userName(owner),
    uid: optionalInt(uid),
    group: userName(group),
    gid: optionalInt(gid),
    inode: optionalInt(inode),
  }
}

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
