import type {InitSystem, PidFileState, ServiceState} from '../../../src/model/snapshot.js'
import {parseSystemctlShow} from '../../../src/gather/parse-services.js'
import {optionalInt, optionalText, type Section} from '../../../src/protocol/frames.js'

function fromSystemd(name: string, section: Section): Omit<ServiceState, 'pidFiles' | 'running'> {
  const show = parseSystemctlShow(section.content)
  const loadState = optionalText(show.get('LoadState'))
  const state = optionalText(show.get('ActiveState'))
  const mainPid = optionalInt(show.get('MainPID'))
  return {
    name,
    manager: 'systemd',
    known: loadState === undefined ? undefined : loadState !== 'not-found',
    active: state === undefined ? undefined : state === 'active' || state === 'reloading',
    state,
    subState: optionalText(show.get('SubState')),
    loadState,
    unitFileState: optionalText(show.get('UnitFileState')),
    mainPid: mainPid === 0 ? undefined : mainPid,
    execMainStatus: optionalInt(show.get('ExecMainStatus')),
    restarts: optionalInt(show.get('NRestarts')),
    fragmentPath: optionalText(show.get('FragmentPath')),
    execStart: optionalText(show.get('ExecStart')),
  }
}

/** LSB status exit codes: 0 running, 1-3 not running (dead with pidfile/lock, or stopped), 4 unknown. */
function fromStatusCommand(
  name: string,
  manager: InitSystem,
  section: Section,
): Omit<ServiceState, 'pidFiles' | 'running'> {
  const code = section.status
  const openrcState = /status:\s*(\S+)/.exec(section.content)?.[1]
  const active = code === 0 ? true : code !== null && code >= 1 && code <= 3 ? false : undefined
  return {
    name,
    manager,
    known: true,
    active,
    state: openrcState ?? (active === true ? 'running' : active === false ? 'stopped' : 'unknown'),
    statusCode: code,
    statusOutput: section.content.trim(),
  }
}

export interface ServiceEvidence {
  name: string
  /** The host's init system (used when no manager section exists). */
  initSystem: InitSystem
  /** Status sections for this service name (svc-systemd / svc-openrc / svc-sysv), any order. */
  statusSections: Section[]
  pidFiles: PidFileState[]
  /** A master process for this service is running. */
  masterRunning: boolean
}

export function buildServiceState(evidence: ServiceEvidence): ServiceState {
  const systemd = evidence.statusSections.find((section) => section.tag === 'svc-systemd')
  const openrc = evidence.statusSections.find((section) => section.tag === 'svc-openrc')
  const sysv = evidence.statusSections.find((section) => section.tag === 'svc-sysv')
  const managed =
    systemd !== undefined
      ? fromSystemd(evidence.name, systemd)
      : openrc !== undefined
        ? fromStatusCommand(evidence.name, 'openrc', openrc)
        : sysv !== undefined
          ? fromStatusCommand(evidence.name, 'sysv', sysv)
          : {
              name: evidence.name,
              manager: evidence.initSystem,
              known: evidence.initSystem === 'none' ? undefined : false,
            }
  const running =
    managed.active === true || evidence.masterRunning || evidence.pidFiles.some((pidFile) => pidFile.alive === true)
  return {...managed, pidFiles: evidence.pidFiles, running}
}
