import type {InitSystem, PidFileState, ServiceState} from '../model/snapshot.js'
import {optionalInt, optionalText, parseKeyValues, type Section} from '../protocol/frames.js'

/** `systemctl show -p …` output: Key=Value lines. */
export function parseSystemctlShow(text: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line)
    if (match !== null && !values.has(match[1] ?? '')) values.set(match[1] ?? '', match[2] ?? '')
  }
  return values
}

/**
 * `systemctl show` of several units: one block per unit, in the order they were asked for,
 * separated by blank lines. Keyed by service name (the unit's Id without `.service`).
 */
export function splitSystemctlShow(text: string, names: string[]): Map<string, Map<string, string>> {
  const units = new Map<string, Map<string, string>>()
  const blocks = text.split(/\n\s*\n/).filter((block) => block.trim() !== '')
  blocks.forEach((block, index) => {
    const values = parseSystemctlShow(block)
    const id = values.get('Id')?.replace(/\.service$/, '')
    const name = id !== undefined && names.includes(id) ? id : names[index]
    if (name !== undefined && !units.has(name)) units.set(name, values)
  })
  return units
}

export function parsePidFile(section: Section): PidFileState {
  const values = parseKeyValues(section.content)
  const pid = optionalInt(values.get('pid'))
  return {
    path: section.arg,
    exists: values.get('exists') === '1',
    pid,
    alive: values.has('alive') ? values.get('alive') === '1' : undefined,
    comm: optionalText(values.get('comm')),
  }
}

type ManagerView = Omit<ServiceState, 'pidFiles' | 'running'>

function fromSystemd(name: string, show: Map<string, string>): ManagerView {
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

/** OpenRC's state directory says started/stopping/…; a started service whose daemon is gone has crashed. */
function fromOpenrc(name: string, state: string | undefined, running: boolean): ManagerView {
  const effective = state === undefined ? 'stopped' : state === 'started' && !running ? 'crashed' : state
  const active = effective === 'started' ? true : effective === 'stopped' ? false : undefined
  return {name, manager: 'openrc', known: true, active, state: effective}
}

/** An init script's status answers from the pidfile and /proc, which the gather read itself. */
function fromInitScript(name: string, running: boolean): ManagerView {
  return {name, manager: 'sysv', known: true, active: running, state: running ? 'running' : 'stopped'}
}

export interface ServiceEvidence {
  name: string
  /** The host's init system (used when no manager knows the service). */
  initSystem: InitSystem
  /** The script's env section: which managers run and which tools exist. */
  env: Map<string, string>
  /** The service's `svc` section: its init script and OpenRC state. */
  svc: Map<string, string>
  /** Its unit in `systemctl show`, when systemd was asked. */
  systemd: Map<string, string> | undefined
  pidFiles: PidFileState[]
  /** A master process for this service is running. */
  masterRunning: boolean
}

/** What the service managers say about one service: everything but its pidfiles and processes. */
export type ServiceContext = (name: string) => Omit<ServiceEvidence, 'pidFiles' | 'masterRunning'>

/** The manager whose view counts, chosen as a host would route `service NAME status`. */
function managerView(evidence: ServiceEvidence, processRunning: boolean): ManagerView {
  const {name, env, svc} = evidence
  if (env.get('systemd_running') === '1' && env.get('have_systemctl') === '1') {
    if (evidence.systemd !== undefined) return fromSystemd(name, evidence.systemd)
  } else if (env.get('have_rc-service') === '1' && (env.get('openrc_running') === '1' || svc.get('initd') === '1')) {
    if (svc.get('initd_file') === '1') return fromOpenrc(name, svc.get('openrc'), processRunning)
  } else if (svc.get('initd') === '1') {
    return fromInitScript(name, processRunning)
  }
  return {name, manager: evidence.initSystem, known: evidence.initSystem === 'none' ? undefined : false}
}

export function buildServiceState(evidence: ServiceEvidence): ServiceState {
  const processRunning = evidence.masterRunning || evidence.pidFiles.some((pidFile) => pidFile.alive === true)
  const managed = managerView(evidence, processRunning)
  const running = managed.active === true || processRunning
  return {...managed, pidFiles: evidence.pidFiles, running}
}
