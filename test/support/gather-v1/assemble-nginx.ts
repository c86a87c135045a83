import type {InitSystem, NginxAbsent, NginxInfo, ProcessInfo} from '../../../src/model/snapshot.js'
import {buildServiceState, parsePidFile} from './parse-services.js'
import type {SectionIndex} from './section-index.js'
import {optionalText, parseKeyValues} from '../../../src/protocol/frames.js'

/** Words of a configure line, honouring single and double quotes as nginx -V prints them. */
function configureWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let quote: string | undefined
  let inWord = false
  for (const char of line) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined
      else word += char
    } else if (char === "'" || char === '"') {
      quote = char
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += char
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}

/** `configure arguments: --prefix=/etc/nginx --with-http_ssl_module …` → {prefix: '/etc/nginx', 'with-http_ssl_module': true}. */
export function parseConfigureArguments(buildInfo: string): Record<string, string | true> {
  const line = /^configure arguments:(.*)$/m.exec(buildInfo)?.[1] ?? ''
  const args: Record<string, string | true> = {}
  for (const word of configureWords(line)) {
    const match = /^--([^=]+)(?:=(.*))?$/s.exec(word)
    if (match?.[1] === undefined) continue
    args[match[1]] = match[2] ?? true
  }
  return args
}

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
