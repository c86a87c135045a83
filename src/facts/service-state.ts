import type {FpmInstall, HostSnapshot, NginxInfo, ProcessInfo, ServiceState} from '../model/snapshot.js'

/**
 * Whether the gather saw other users' processes: as root, or when /proc is not hidden
 * (hidepid) so processes of someone else — init at least — are listed.
 */
export function processesVisible(snapshot: Pick<HostSnapshot, 'uid' | 'user' | 'processTable'>): boolean {
  return snapshot.uid === 0 || snapshot.processTable.some((entry) => entry.user !== snapshot.user)
}

/**
 * Does the service run on this host — in this mount namespace? Its master process here says so, and
 * so does systemd or a live pid file of this host. A SysV or OpenRC `status` that finds the daemon by
 * name (pidof) also counts another mount namespace's — a container's — process, so it is only
 * believed when the gather could not see processes to tell.
 */
export function runsHere(
  service: ServiceState,
  localMasters: ProcessInfo[],
  canSeeProcesses: boolean,
  comm: RegExp,
): boolean {
  if (localMasters.length > 0) return true
  if (service.manager === 'systemd' && service.active === true) return true
  if (
    service.pidFiles.some(
      (pidFile) => pidFile.alive === true && (pidFile.comm === undefined || comm.test(pidFile.comm)),
    )
  )
    return true
  return !canSeeProcesses && service.active === true
}

/** Master processes of another mount namespace started from the same binary: not this host's. */
export function mastersElsewhere(
  processes: ProcessInfo[],
  kind: 'nginx-master' | 'fpm-master',
  binaries: string[],
): number[] {
  return processes
    .filter(
      (process) =>
        process.otherNamespace &&
        process.kind === kind &&
        (process.exe === undefined || binaries.includes(process.exe)),
    )
    .map((process) => process.pid)
}

export interface Liveness {
  running: boolean
  /** Masters of the same binary in other mount namespaces. */
  elsewhere: number[]
}

export function nginxLiveness(snapshot: HostSnapshot, nginx: NginxInfo): Liveness {
  const masters = nginx.processes.filter((process) => process.kind === 'nginx-master')
  return {
    running: runsHere(nginx.service, masters, processesVisible(snapshot), /^nginx/),
    elsewhere: mastersElsewhere(snapshot.processes, 'nginx-master', [nginx.binary]),
  }
}

export function fpmLiveness(snapshot: HostSnapshot, install: FpmInstall): Liveness {
  const masters = install.processes.filter((process) => process.kind === 'fpm-master')
  const binaries = [install.binary, install.realBinary].filter((binary) => binary !== undefined)
  return {
    running: runsHere(install.service, masters, processesVisible(snapshot), /^php/),
    elsewhere: mastersElsewhere(snapshot.processes, 'fpm-master', binaries),
  }
}
