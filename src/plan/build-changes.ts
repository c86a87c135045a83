import {createHash} from 'node:crypto'

import {FpmfixError} from '../errors.js'
import type {ConfigSources} from '../facts/build-facts.js'
import {editTarget, setPoolDirective, type EditTarget} from '../fpm/index.js'
import type {FileChange} from '../model/plan.js'
import type {RawFile} from '../model/snapshot.js'
import {insertDirective, setDirectiveArgs} from '../nginx/index.js'
import {unifiedDiff} from '../render/diff.js'
import type {CollectedRemedies, FpmPool, FpmSet, NginxEdit} from './collect-remedies.js'
import {ABSENT} from './fingerprints.js'

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

interface EditableFile {
  path: string
  raw: RawFile | undefined
  original: string
  text: string
  reasons: string[]
  remedies: Array<FpmSet | FpmPool | NginxEdit>
  /** The file does not exist yet: the plan creates it. */
  absent?: boolean
}

/** The files a plan may edit, by the path the configs use, with their exact bytes as gathered. */
function editableFiles(sources: ConfigSources, nginxFiles: RawFile[]): Map<string, EditableFile> {
  const files = new Map<string, EditableFile>()
  const rawNginx = new Map(nginxFiles.map((file) => [file.path, file]))
  for (const file of sources.nginx?.files ?? []) {
    files.set(file.path, {
      path: file.path,
      raw: rawNginx.get(file.path),
      original: file.content,
      text: file.content,
      reasons: [],
      remedies: [],
    })
  }
  for (const {install} of sources.fpm) {
    for (const file of install.files) {
      if (file.content !== undefined)
        files.set(file.path, {
          path: file.path,
          raw: file,
          original: file.content,
          text: file.content,
          reasons: [],
          remedies: [],
        })
    }
  }
  return files
}

function fileFor(files: Map<string, EditableFile>, path: string): EditableFile {
  const file = files.get(path)
  if (file === undefined) throw new FpmfixError('INTERNAL', `the plan wants to edit ${path}, which was not gathered`)
  return file
}

/** A new `[pool]` section: at the end of a file the install reads, or alone in a new file. */
function createPool(files: Map<string, EditableFile>, remedy: FpmPool): void {
  const existing = files.get(remedy.file)
  const section = `[${remedy.pool}]\n`
  if (existing === undefined) {
    const text = `; ${remedy.reason}\n${section}`
    files.set(remedy.file, {
      path: remedy.file,
      raw: undefined,
      original: '',
      text,
      reasons: [],
      remedies: [],
      absent: true,
    })
  } else {
    const ending = existing.text === '' || existing.text.endsWith('\n') ? '' : '\n'
    existing.text = `${existing.text}${ending}\n; ${remedy.reason}\n${section}`
  }
  const file = files.get(remedy.file)!
  file.reasons.push(`[${remedy.pool}]: ${remedy.reason}`)
  file.remedies.push(remedy)
}

/**
 * Apply every remedy to the gathered bytes with the line-preserving editors.
 * In-place edits go first (they never move lines); insertions follow, bottom-up, so
 * the line numbers the parse tree gave stay valid for every edit. Pool sections the
 * plan creates are appended last, so they move no line an edit was planned on.
 */
export function buildChanges(
  remedies: CollectedRemedies,
  sources: ConfigSources,
  nginxFiles: RawFile[],
): {changes: FileChange[]; notes: string[]; refused: Array<FpmSet | FpmPool | NginxEdit>} {
  const files = editableFiles(sources, nginxFiles)
  const notes: string[] = []
  const fpmInPlace: Array<() => void> = []
  const fpmInserts: Array<() => void> = []
  const created = new Map(remedies.fpmPools.map((pool) => [`${pool.install}\0${pool.pool}`, pool]))
  for (const remedy of remedies.fpm) {
    const source = sources.fpm.find((entry) => entry.install.binary === remedy.install)?.source
    if (source === undefined)
      throw new FpmfixError('INTERNAL', `no parsed config for php-fpm install ${remedy.install}`)
    const newPool = created.get(`${remedy.install}\0${remedy.pool}`)
    const target: EditTarget =
      newPool === undefined
        ? editTarget(source, remedy.pool, remedy.key)
        : {file: newPool.file, poolSection: newPool.pool}
    if (newPool === undefined) fileFor(files, target.file)
    const apply = () => {
      const file = fileFor(files, target.file)
      file.text = setPoolDirective(file.text, {
        poolSection: target.poolSection,
        key: remedy.key,
        value: remedy.value,
        ...(target.line === undefined ? {} : {line: target.line}),
      })
      file.reasons.push(`[${remedy.pool}] ${remedy.key} = ${remedy.value}: ${remedy.reason}`)
      file.remedies.push(remedy)
    }
    ;(target.line === undefined ? fpmInserts : fpmInPlace).push(apply)
  }
  for (const apply of fpmInPlace) apply()
  for (const pool of remedies.fpmPools) createPool(files, pool)
  for (const apply of fpmInserts) apply()

  const sets = remedies.nginx.filter((remedy) => remedy.kind === 'nginx-set')
  const inserts = remedies.nginx.filter((remedy) => remedy.kind === 'nginx-insert').sort((a, b) => b.line - a.line)
  for (const remedy of [...sets, ...inserts]) {
    const file = fileFor(files, remedy.file)
    file.text =
      remedy.kind === 'nginx-set'
        ? setDirectiveArgs(file.text, {file: remedy.file, line: remedy.line, name: remedy.directive}, remedy.args)
        : insertDirective(file.text, {file: remedy.file, line: remedy.line}, remedy.directive, remedy.args)
    file.reasons.push(`${remedy.directive} ${remedy.args.join(' ')}: ${remedy.reason}`)
    file.remedies.push(remedy)
  }

  const changes: FileChange[] = []
  const refused: Array<FpmSet | FpmPool | NginxEdit> = []
  for (const file of files.values()) {
    if (file.text === file.original && !file.absent) continue
    const beforeSha256 = file.absent ? ABSENT : sha256(file.original)
    if (file.raw?.sha256 !== undefined && file.raw.sha256 !== beforeSha256) {
      // nginx -T shows what nginx parsed; if that is not the file's bytes, editing it would guess.
      notes.push(
        `not editing ${file.path}: its bytes on the host differ from what nginx -T printed (sha256 ${file.raw.sha256.slice(0, 12)}…)`,
      )
      refused.push(...file.remedies)
      continue
    }
    const real = file.raw?.isSymlink && file.raw.realPath ? file.raw.realPath : file.path
    changes.push({
      path: real,
      ...(real === file.path ? {} : {viaSymlink: file.path}),
      before: file.original,
      after: file.text,
      beforeSha256,
      afterSha256: sha256(file.text),
      diff: unifiedDiff(real, file.original, file.text),
      reasons: file.reasons,
    })
  }
  return {changes: changes.sort((a, b) => a.path.localeCompare(b.path)), notes, refused}
}
