import {FpmfixError} from '../errors.js'
import type {HostSnapshot, ServiceState} from '../model/snapshot.js'
import {assembleFpmInstalls} from './assemble-fpm.js'
import {assembleNginx} from './assemble-nginx.js'
import {assembleDirs, assembleListeners, assembleLogs, assembleSockets} from './assemble-paths.js'
import {readBatch} from './batch-results.js'
import {GATHER_LIMITS} from './limits.js'
import {parseGroups, parsePasswd} from './parse-accounts.js'
import {parseJournal, parseStates} from './parse-live-state.js'
import {
  cpusFrom,
  detectInitSystem,
  detectSelinux,
  osFrom,
  parseHostClock,
  parseLoadAverage,
  parseMeminfo,
  toolsFrom,
} from './parse-host.js'
import {effectiveId, parseProcess, parsePsTable, procStatusLines, statusFields} from './parse-processes.js'
import {splitSystemctlShow, type ServiceContext} from './parse-services.js'
import {SectionIndex} from './section-index.js'
import {optionalInt, parseKeyValues, splitSections} from '../protocol/frames.js'

const STRAY_PREVIEW = 200

function uniqueServices(services: ServiceState[]): ServiceState[] {
  const seen = new Set<string>()
  return services.filter((service) => !seen.has(service.name) && seen.add(service.name))
}

/**
 * Turn the gather script's stdout into typed facts. Pure. Missing or partial
 * sections become absent facts and warnings; output with no recognisable
 * framing at all is a GATHER_PARSE error.
 */
export function parseGatherOutput(stdout: string, boundary: string): HostSnapshot {
  const {sections, stray} = splitSections(stdout, boundary)
  const envSection = sections.find((section) => section.kind === 'env')
  if (envSection === undefined) {
    throw new FpmfixError(
      'GATHER_PARSE',
      sections.length === 0
        ? 'the gather output contains no sections from this run'
        : 'the gather output lacks its host section (env)',
      {
        hint: 'Check that /bin/sh works for the remote user; run with DEBUG=fpmfix:* to see the raw output.',
        details: {bytes: stdout.length, sections: sections.length, preview: stdout.slice(0, STRAY_PREVIEW)},
      },
    )
  }
  const warnings: string[] = stray.map(
    (text) => `unexpected output outside any section: ${JSON.stringify(text.slice(0, STRAY_PREVIEW))}`,
  )
  for (const section of sections.filter((candidate) => !candidate.complete)) {
    warnings.push(`section ${section.kind} ${section.tag} ${section.arg} was cut short`)
  }
  const complete = sections.some((section) => section.kind === 'done' && section.complete)
  if (!complete) warnings.push('the gather output ended early; facts after the last complete section are missing')

  const index = new SectionIndex(sections, readBatch(sections, boundary), warnings)
  const env = parseKeyValues(envSection.content)
  const small = (tag: string): string | undefined => index.file(tag, GATHER_LIMITS.fileBytes)?.content
  const self = statusFields(small('status') ?? '')
  const uid = effectiveId(self.get('Uid')) ?? -1
  if (uid !== 0)
    warnings.push(`gathered as uid ${uid}, not root: unreadable files and other users' processes are incomplete`)
  const initSystem = detectInitSystem(env)
  const users = parsePasswd(index.command('passwd', '', GATHER_LIMITS.commandBytes)?.stdout ?? '')
  const groups = parseGroups(index.command('group', '', GATHER_LIMITS.commandBytes)?.stdout ?? '')
  const exe = (pid: number): string | undefined => index.batch.lstat.get(`/proc/${pid}/exe`)?.link
  const elapsed = new Map<number, number>()
  const processTable = parsePsTable(index.command('ps', '', GATHER_LIMITS.commandBytes)?.stdout ?? '', elapsed)
  const status = procStatusLines(index.command('proc-status', '', GATHER_LIMITS.commandBytes)?.stdout ?? '')
  const processes = index
    .all('proc')
    .map((section) =>
      parseProcess(section, {
        users,
        groups,
        exe,
        elapsedSeconds: (pid) => elapsed.get(pid),
        status: (pid) => status.get(pid),
      }),
    )
    .filter((process) => process !== undefined)
  const serviceNames = index.all('svc').map((section) => section.tag)
  const units = splitSystemctlShow(index.command('svc-systemd')?.stdout ?? '', serviceNames)
  const serviceContext: ServiceContext = (name) => ({
    name,
    initSystem,
    env,
    svc: parseKeyValues(index.first('svc', name)?.content ?? ''),
    systemd: units.get(name),
  })
  const nginx = assembleNginx(index, processes, serviceContext)
  const fpmInstalls = assembleFpmInstalls(index, processes, serviceContext)
  const meminfo = parseMeminfo(small('meminfo') ?? '')
  const tools = toolsFrom(env)
  if (tools.sha256sum !== true)
    warnings.push(
      'sha256sum is missing on the host: config files carry no fingerprint, so apply cannot detect later edits',
    )
  const {logs, logTargets} = assembleLogs(index)
  const clock = parseHostClock(env.get('clock'))
  const states = parseStates(sections)
  const journal = parseJournal(sections)

  return {
    scriptVersion: optionalInt(env.get('script_version')) ?? 0,
    collectedAt: clock?.utc ?? '',
    localTime: clock?.local,
    utcOffset: clock?.offset,
    hostname: firstLine(small('hostname')) ?? '',
    os: osFrom(small('os-release'), {
      kernel: firstLine(small('kernel')),
      arch: firstLine(small('arch')) ?? env.get('arch'),
    }),
    initSystem,
    uid,
    user: users.find((entry) => entry.uid === uid)?.name,
    selinux: detectSelinux(env),
    hasGetfacl: tools.getfacl === true,
    tools,
    nginx,
    fpmInstalls,
    services: uniqueServices([
      ...(nginx.present ? [nginx.service] : []),
      ...fpmInstalls.map((install) => install.service),
    ]),
    sockets: assembleSockets(index),
    dirs: assembleDirs(index),
    listeners: assembleListeners(index, processes),
    memory: {
      memTotalKb: meminfo.get('MemTotal'),
      memAvailableKb: meminfo.get('MemAvailable'),
      swapTotalKb: meminfo.get('SwapTotal'),
      swapFreeKb: meminfo.get('SwapFree'),
    },
    cpus: cpusFrom(self.get('Cpus_allowed_list')),
    somaxconn: optionalInt(small('somaxconn')),
    loadAverage: parseLoadAverage(small('loadavg') ?? ''),
    processes,
    processTable,
    users,
    groups,
    logs,
    logTargets,
    ...(states === undefined ? {} : {states}),
    ...(journal === undefined ? {} : {journal}),
    warnings,
    complete,
  }
}

/** The first line of a small /proc file, e.g. /proc/sys/kernel/hostname. */
function firstLine(text: string | undefined): string | undefined {
  const line = text?.split('\n')[0]?.trim()
  return line === '' ? undefined : line
}
