import type {FileChange} from '../model/plan.js'
import type {FpmInstall, HostSnapshot, RawFile} from '../model/snapshot.js'
import {formatNginxDump, splitNginxDump} from '../nginx/index.js'
import {sha256} from './build-changes.js'

function changeFor(changes: FileChange[], path: string, realPath?: string): FileChange | undefined {
  return changes.find((change) => change.path === path || change.viaSymlink === path || change.path === realPath)
}

function plannedFile(file: RawFile, change: FileChange | undefined): RawFile {
  return change === undefined ? file : {...file, content: change.after, sha256: change.afterSha256, truncated: false}
}

function newFile(change: FileChange): RawFile {
  return {
    path: change.path,
    exists: true,
    type: 'file',
    isSymlink: false,
    realPath: change.path,
    readable: true,
    content: change.after,
    sha256: sha256(change.after),
  }
}

/**
 * A php-fpm install as it reads its config once the plan is written. Its `-tt` dump described the
 * old files, so a changed install is read from its files alone (as php-fpm will read them).
 */
function plannedInstall(install: FpmInstall, changes: FileChange[], created: string[]): FpmInstall {
  const touched = install.files.some((file) => changeFor(changes, file.path, file.realPath) !== undefined)
  if (!touched && created.length === 0) return install
  const added = changes.filter((change) => created.includes(change.path)).map(newFile)
  return {
    ...install,
    files: [...install.files.map((file) => plannedFile(file, changeFor(changes, file.path, file.realPath))), ...added],
    tt: {code: null, output: '', truncated: false},
  }
}

/**
 * The snapshot as the host will be once the plan's files are written: same processes, sockets
 * and accounts, new config bytes. `created` names, per php-fpm install (binary), the files the
 * plan creates for it. What apply verifies is derived from this, so it checks the config the
 * plan writes (a moved listen address, a new pool), not the one it replaces.
 */
export function plannedSnapshot(
  snapshot: HostSnapshot,
  changes: FileChange[],
  created: Map<string, string[]>,
): HostSnapshot {
  if (changes.length === 0) return snapshot
  const nginx = snapshot.nginx.present
    ? {
        ...snapshot.nginx,
        configDump: {
          ...snapshot.nginx.configDump,
          stdout: formatNginxDump(
            splitNginxDump(snapshot.nginx.configDump.stdout).map((file) => {
              const change = changeFor(changes, file.path)
              return change === undefined ? file : {path: file.path, content: change.after}
            }),
          ),
        },
      }
    : snapshot.nginx
  return {
    ...snapshot,
    nginx,
    fpmInstalls: snapshot.fpmInstalls.map((install) =>
      plannedInstall(install, changes, created.get(install.binary) ?? []),
    ),
  }
}
