import type {InitSystem, NginxAbsent, NginxInfo, ProcessInfo} from '../../../src/model/snapshot.js'
import {parseConfigureArguments} from '../../../src/gather/assemble-nginx.js'
import {parsePidFile} from '../../../src/gather/parse-services.js'
import {buildServiceState} from './parse-services.js'
import type {SectionIndex} from './section-index.js'
import {optionalText, parseKeyValues} from '../../../src/protocol/frames.js'

export function assembleNginx(
  index: SectionIndex,
  processes: ProcessInfo[],
  initSystem: InitSystem,
): NginxInfo | NginxAbsent {
  const section = index.first('nginx')
  const values = parseKeyValues(section?.content ?? '')
  const binary = values.get('binary')
  if (section === undefined || values.get('found') !== '1' || binary === undefined) return {present: false}
  const buildInfo = index.output('cmd', 'nginx-V') ?? {code: null, output: '', truncated: false}
  const configDump = index.command('nginx-T') ?? {code: null, stdout: '', stderr: '', truncated: false}
  if (configDump.truncated) index.warnings.push('nginx -T output was truncated at the gather size cap')
  const nginxProcesses = processes.filter((process) => process.kind.startsWith('nginx-') && !process.otherNamespace)
  return {
    present: true,
    binary,
    version: /nginx version: [^/\s]+\/(\S+)/.exec(buildInfo.output)?.[1],
    buildInfo,
    configureArgs: parseConfigureArguments(buildInfo.output),
    runningConfigPath: optionalText(values.get('master_conf')),
    runningPrefix: optionalText(values.get('master_prefix')),
    configDump,
    configFiles: index.files('nginx-conf'),
    processes: nginxProcesses,
    service: buildServiceState({
      name: 'nginx',
      initSystem,
      statusSections: index.all('cmd').filter((cmd) => cmd.tag.startsWith('svc-') && cmd.arg === 'nginx'),
      pidFiles: index.all('pidfile', 'nginx').map(parsePidFile),
      masterRunning: nginxProcesses.some((process) => process.kind === 'nginx-master'),
    }),
  }
}
