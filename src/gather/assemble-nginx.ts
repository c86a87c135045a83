import type {NginxAbsent, NginxInfo, ProcessInfo} from '../model/snapshot.js'
import {GATHER_LIMITS} from './limits.js'
import {buildServiceState, parsePidFile, type ServiceContext} from './parse-services.js'
import type {SectionIndex} from './section-index.js'
import {optionalText, parseKeyValues} from '../protocol/frames.js'

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

/**
 * `nginx -V -T` writes the build info (ending with its `configure arguments:` line) and then the
 * config test's verdict to stderr: the two outputs `nginx -V` and `nginx -T` would have given.
 */
export function splitBuildInfo(stderr: string): {buildInfo: string; testOutput: string} {
  const configure = /^configure arguments:.*$/m.exec(stderr)
  if (configure === null) return {buildInfo: '', testOutput: stderr}
  const end = configure.index + configure[0].length
  return {buildInfo: `${stderr.slice(0, end)}\n`, testOutput: stderr.slice(end + 1)}
}

export function assembleNginx(
  index: SectionIndex,
  processes: ProcessInfo[],
  serviceContext: ServiceContext,
): NginxInfo | NginxAbsent {
  const section = index.first('nginx')
  const values = parseKeyValues(section?.content ?? '')
  const binary = values.get('binary')
  if (section === undefined || values.get('found') !== '1' || binary === undefined) return {present: false}
  const run = index.command('nginx-T') ?? {code: null, stdout: '', stderr: '', truncated: false}
  const {buildInfo: buildText, testOutput} = splitBuildInfo(run.stderr)
  const buildInfo = {code: buildText === '' ? run.code : 0, output: buildText, truncated: false}
  const configDump = {...run, stderr: testOutput.replace(/\n+$/, '')}
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
    configFiles: index.files('nginx-conf', GATHER_LIMITS.confBytes),
    processes: nginxProcesses,
    service: buildServiceState({
      ...serviceContext('nginx'),
      pidFiles: index.all('pidfile', 'nginx').map(parsePidFile),
      masterRunning: nginxProcesses.some((process) => process.kind === 'nginx-master'),
    }),
  }
}
