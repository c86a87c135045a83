import {FpmfixError} from '../../../src/errors.js'
import type {HostSnapshot, ServiceState} from '../../../src/model/snapshot.js'
import {assembleFpmInstalls} from './assemble-fpm.js'
import {assembleNginx} from './assemble-nginx.js'
import {assembleDirs, assembleListeners, assembleLogs, assembleSockets} from './assemble-paths.js'
import {parseGroups, parsePasswd} from '../../../src/gather/parse-accounts.js'
import {detectInitSystem, parseLoadAverage, parseMeminfo, toolsFrom} from '../../../src/gather/parse-host.js'
import {parsePsTable} from '../../../src/gather/parse-processes.js'
import {cpusFrom, detectSelinux, osFrom} from './parse-host.js'
import {parseProcess} from './parse-processes.js'
import {SectionIndex} from './section-index.js'
import {optionalInt, optionalText, parseKeyValues, splitSections} from '../../../src/protocol/frames.js'

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

  const index = new SectionIndex(sections, warnings)
  const env = parseKeyValues(envSection.content)
  const uid = optionalInt(env.get('uid')) ?? -1
  if (uid !== 0)
    warnings.push(`gathered as uid ${uid}, not root: unreadable files and other users' processes are incomplete`)
  const initSystem = detectInitSystem(env)
  const users = parsePasswd(index.command('passwd')?.stdout ?? '')
  const groups = parseGroups(index.command('group')?.stdout ?? '')
  const processes = index
    .all('proc')
    .map((section) => parseProcess(section, {users, groups, mountNamespace: optionalText(env.get('mntns'))}))
    .filter((process) => process !== undefined)
  const nginx = assembleNginx(index, processes, initSystem)
  const fpmInstalls = assembleFpmInstalls(index, processes, initSystem)
  const meminfo = parseMeminfo(index.fileText('meminfo') ?? '')
  const tools = toolsFrom(env)
  if (tools.sha256sum !== true)
    warnings.push(
      'sha256sum is missing on the host: config files carry no fingerprint, so apply cannot detect later edits',
    )
  const {logs, logTargets} = assembleLogs(index)

  return {
    scriptVersion: optionalInt(env.get('script_version')) ?? 0,
    collectedAt: env.get('date') ?? '',
    localTime: optionalText(env.get('localtime')),
    utcOffset: optionalText(env.get('utc_offset')),
    hostname: env.get('hostname') ?? '',
    os: osFrom(env, index.fileText('os-release')),
    initSystem,
    uid,
    user: env.get('user'),
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
    cpus: cpusFrom(env),
    somaxconn: optionalInt(index.fileText('somaxconn')),
    loadAverage: parseLoadAverage(index.fileText('loadavg') ?? ''),
    processes,
    processTable: parsePsTable(index.command('ps')?.stdout ?? ''),
    users,
    groups,
    logs,
    logTargets,
    warnings,
    complete,
  }
}
