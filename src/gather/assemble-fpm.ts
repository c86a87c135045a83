import type {FpmConfigSource, FpmInstall, ProcessInfo} from '../model/snapshot.js'
import {GATHER_LIMITS} from './limits.js'
import {buildServiceState, parsePidFile, type ServiceContext} from './parse-services.js'
import type {SectionIndex} from './section-index.js'
import {optionalText, parseKeyValues, type Section} from '../protocol/frames.js'

const CONFIG_SOURCES: readonly FpmConfigSource[] = ['tt', 'master', 'tt-error', 'layout']

function configSource(value: string | undefined): FpmConfigSource {
  return CONFIG_SOURCES.find((source) => source === value) ?? 'layout'
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** Masters started from this binary (or, when /proc/PID/exe was unreadable, with its config or comm), and their workers. */
function processesOf(
  install: Pick<FpmInstall, 'binary' | 'realBinary' | 'mainConfigPath'>,
  processes: ProcessInfo[],
): ProcessInfo[] {
  const binaries = new Set([install.binary, install.realBinary].filter((path) => path !== undefined))
  const comm = baseName(install.binary).slice(0, 15)
  const local = processes.filter((process) => !process.otherNamespace)
  const masters = local.filter(
    (process) =>
      process.kind === 'fpm-master' &&
      (process.exe !== undefined
        ? binaries.has(process.exe)
        : process.fpmConfigPath === install.mainConfigPath || process.comm === comm),
  )
  const masterPids = new Set(masters.map((master) => master.pid))
  const workers = local.filter((process) => process.kind === 'fpm-worker' && masterPids.has(process.ppid ?? -1))
  return [...masters, ...workers]
}

function assembleInstall(
  index: SectionIndex,
  section: Section,
  processes: ProcessInfo[],
  serviceContext: ServiceContext,
): FpmInstall {
  const id = section.tag
  const values = parseKeyValues(section.content)
  const binary = values.get('binary') ?? section.arg
  const carried = index.command('fpm-version', id)?.stdout.trim()
  const versionLine = carried ? `PHP ${carried}` : index.command('fpm-v', id)?.stdout.split('\n')[0]?.trim()
  const configSection = index.first('fpm-conf', id)
  const mainConfigPath = configSection?.arg ?? values.get('layout_conf') ?? ''
  const serviceName = values.get('service') ?? 'php-fpm'
  const partial = {binary, realBinary: optionalText(values.get('real')), mainConfigPath}
  const installProcesses = processesOf(partial, processes)
  const tt = index.output('tt', id) ?? {code: null, output: '', truncated: false}
  if (tt.truncated) index.warnings.push(`${binary} -tt output was truncated at the gather size cap`)
  return {
    ...partial,
    version: optionalText(versionLine),
    versionNumber: /^PHP (\d+\.\d+\.\d+\S*)/.exec(versionLine ?? '')?.[1],
    serviceName,
    prefix: values.get('prefix') ?? '/usr',
    mainConfigSource: configSource(parseKeyValues(configSection?.content ?? '').get('source')),
    runningConfigPath: optionalText(values.get('master_conf')),
    tt,
    files: [
      ...index.files(`fpm-main:${id}`, GATHER_LIMITS.confBytes),
      ...index.files(`fpm-include:${id}`, GATHER_LIMITS.confBytes),
    ],
    phpIni: index.file(`fpm-ini:${id}`, GATHER_LIMITS.fileBytes),
    extraIni: index.files(`fpm-ini-extra:${id}`, GATHER_LIMITS.confBytes),
    processes: installProcesses,
    service: buildServiceState({
      ...serviceContext(serviceName),
      pidFiles: index.all('pidfile', `fpm:${id}`).map(parsePidFile),
      masterRunning: installProcesses.some((process) => process.kind === 'fpm-master'),
    }),
  }
}

export function assembleFpmInstalls(
  index: SectionIndex,
  processes: ProcessInfo[],
  serviceContext: ServiceContext,
): FpmInstall[] {
  return index.all('fpm').map((section) => assembleInstall(index, section, processes, serviceContext))
}
