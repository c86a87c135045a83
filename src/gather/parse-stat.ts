import type {FileType, PathStat, RawFile} from '../model/snapshot.js'
import type {BatchResults} from './batch-results.js'
import {optionalInt, parseKeyValues, type Section} from '../protocol/frames.js'

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

/** A `meta` section (existence and readability as the script saw them) with what the batch found. */
export function parseMeta(section: Section, batch: BatchResults): PathStat & {sha256?: string} {
  const path = section.arg
  const values = parseKeyValues(section.content)
  const present = values.get('exists') === '1'
  const own = present ? batch.lstat.get(path) : undefined
  const lstat = parseStatLine(own?.fields)
  const target = present ? parseStatLine(batch.stat.get(path)) : undefined
  const isSymlink = lstat?.type === 'symlink'
  const exists = present && target !== undefined
  let error = present ? undefined : batch.statError.get(path)
  if (present && target === undefined) error = isSymlink ? 'dangling symlink' : (error ?? 'stat failed')
  return {
    path,
    exists,
    ...(target ?? (isSymlink ? {} : lstat)),
    isSymlink,
    linkTarget: isSymlink ? own?.link : undefined,
    realPath: present ? batch.real.get(path) : undefined,
    readable: values.has('readable') ? values.get('readable') === '1' : undefined,
    sha256: batch.sha256.get(path),
    error,
  }
}

/** A `meta` section as a file: its stat and, when the script read it, its content (cut at capBytes). */
export function toRawFile(meta: Section, batch: BatchResults, capBytes: number, warnings: string[]): RawFile {
  const stat = parseMeta(meta, batch)
  const file: RawFile = {...stat, readable: stat.readable ?? false}
  const read = batch.content.get(meta)
  if (read !== undefined) {
    const capped = capText(read.text, capBytes)
    file.content = capped.text
    file.truncated = (stat.size ?? 0) > capBytes || capped.cut || !read.complete
    if (file.truncated) warnings.push(`${meta.arg}: content truncated at the gather size cap`)
  } else if (stat.exists && stat.type === 'file' && !file.readable) {
    file.error ??= 'not readable by the gathering user'
  }
  return file
}

/** The first `capBytes` bytes of a text, as the host's `head -c` would have cut it. */
export function capText(text: string, capBytes: number): {text: string; cut: boolean} {
  if (text.length <= capBytes / 4 || Buffer.byteLength(text, 'utf8') <= capBytes) return {text, cut: false}
  return {text: Buffer.from(text, 'utf8').subarray(0, capBytes).toString('utf8'), cut: true}
}
