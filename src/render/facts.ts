import {installVersion} from '../facts/install-version.js'
import {unreadableByLogin, unreadableNote} from '../facts/gather-limits.js'
import {fpmLiveness, nginxLiveness, type Liveness} from '../facts/service-state.js'
import type {HostSnapshot} from '../model/snapshot.js'
import type {HostOutcome} from '../run/host-runner.js'
import {paint} from './style.js'

function kib(value: number | undefined): string {
  return value === undefined ? '?' : `${Math.round(value / 1024)} MiB`
}

function running({running: here, elsewhere}: Liveness): string {
  if (here) return paint('green', 'running')
  const foreign =
    elsewhere.length === 0 ? '' : ` (pid ${elsewhere.join(', ')} runs in another mount namespace: not this host's)`
  return paint('red', 'not running') + foreign
}

function hostSummary(snapshot: HostSnapshot, verbose: boolean): string[] {
  const os = snapshot.os.prettyName ?? snapshot.os.id ?? '?'
  const memory = `${kib(snapshot.memory.memAvailableKb)} available of ${kib(snapshot.memory.memTotalKb)}`
  const lines = [
    `  os        ${os} (kernel ${snapshot.os.kernel ?? '?'}), init ${snapshot.initSystem}, selinux ${snapshot.selinux}, ` +
      `gathered as uid ${snapshot.uid}`,
    `  memory    ${memory}, ${snapshot.cpus ?? '?'} cpus, somaxconn ${snapshot.somaxconn ?? '?'}`,
  ]
  const nginx = snapshot.nginx
  if (nginx.present) {
    const workers = nginx.processes.filter((process) => process.kind === 'nginx-worker')
    const users = [...new Set(workers.map((worker) => worker.user ?? String(worker.uid)))].join(',') || '-'
    const test = nginx.configDump.code === 0 ? 'ok' : paint('red', `failed (${nginx.configDump.code})`)
    lines.push(
      `  nginx     ${nginx.version ?? '?'} ${nginx.binary}: ${running(nginxLiveness(snapshot, nginx))}, ` +
        `${workers.length} workers as ${users}, nginx -t ${test}, ${nginx.configFiles.length} config files`,
    )
  } else {
    lines.push('  nginx     not installed')
  }
  if (snapshot.fpmInstalls.length === 0) lines.push('  php-fpm   no install found')
  for (const install of snapshot.fpmInstalls) {
    const workers = install.processes.filter((process) => process.kind === 'fpm-worker')
    const test = install.tt.code === 0 ? 'ok' : paint('red', `failed (${install.tt.code})`)
    const version = installVersion(install)
    if (version.note) lines.push(`  ${paint('yellow', 'note')}      ${version.note}`)
    lines.push(
      `  php-fpm   ${version.version ?? '?'} ${install.binary} (${install.serviceName}): ` +
        `${running(fpmLiveness(snapshot, install))}, ${workers.length} workers, -t ${test}, ` +
        `config ${install.mainConfigPath}, ${install.files.length} files`,
    )
  }
  for (const socket of snapshot.sockets) {
    const listening = snapshot.listeners.unix.some((listener) => listener.path === socket.path)
    const acl = socket.acl?.some((entry) => /^(user|group):[^:]+:/.test(entry)) ? ' +acl' : ''
    const state = !socket.exists
      ? paint('red', 'absent')
      : `${socket.type} ${socket.owner}:${socket.group} ${socket.mode}${acl}${listening ? '' : paint('yellow', ' (no listener)')}`
    lines.push(`  socket    ${socket.path} ${state} ← ${socket.referencedBy.join(',')}`)
  }
  const tcp = snapshot.listeners.tcp.filter((listener) =>
    listener.processes.some((process) => /php-fpm|nginx/.test(process.name)),
  )
  for (const listener of tcp)
    lines.push(
      `  tcp       ${listener.address}:${listener.port} ${listener.processes.map((process) => process.name).join(',')}`,
    )
  for (const log of snapshot.logs) {
    lines.push(
      `  log       ${log.path} (${log.source}) ${log.exists ? `${log.size ?? '?'} bytes${log.truncated ? ', tail read' : ''}` : paint('dim', 'absent')}`,
    )
  }
  const unreadable = unreadableNote(snapshot, unreadableByLogin(snapshot))
  if (unreadable !== undefined) lines.push(`  ${paint('yellow', 'warning')}   ${unreadable}`)
  const warnings = verbose ? snapshot.warnings : snapshot.warnings.slice(0, 5)
  for (const warning of warnings) lines.push(`  ${paint('yellow', 'warning')}   ${warning}`)
  if (warnings.length < snapshot.warnings.length)
    lines.push(`  … ${snapshot.warnings.length - warnings.length} more warnings (--verbose)`)
  return lines
}

export function renderFactsText(outcomes: HostOutcome<HostSnapshot>[], options: {verbose: boolean}): string {
  const blocks = outcomes.map((outcome) => {
    const title = paint(
      'bold',
      `── ${outcome.target.name}${outcome.target.address !== outcome.target.name ? ` (${outcome.target.address})` : ''} ──`,
    )
    if (!outcome.ok) {
      return [
        title,
        `  ${paint(['red', 'bold'], 'failed')} [${outcome.error.code}] ${outcome.error.message}`,
        ...(outcome.error.hint ? [`  hint: ${outcome.error.hint}`] : []),
      ].join('\n')
    }
    return [
      title,
      ...hostSummary(outcome.value, options.verbose),
      paint('dim', `  gathered in ${Math.round(outcome.durationMs)} ms`),
    ].join('\n')
  })
  const failed = outcomes.filter((outcome) => !outcome.ok).length
  const summary = `${outcomes.length} ${outcomes.length === 1 ? 'host' : 'hosts'}: ${outcomes.length - failed} gathered, ${failed} failed`
  return `${blocks.join('\n\n')}\n\n${paint('bold', summary)}\n`
}

export function renderFactsJson(outcomes: HostOutcome<HostSnapshot>[]): Record<string, unknown> {
  const failed = outcomes.filter((outcome) => !outcome.ok).length
  return {
    hosts: outcomes.map((outcome) =>
      outcome.ok
        ? {
            name: outcome.target.name,
            address: outcome.target.address,
            status: 'ok',
            durationMs: Math.round(outcome.durationMs),
            unreadable: unreadableByLogin(outcome.value),
            facts: outcome.value,
          }
        : {
            name: outcome.target.name,
            address: outcome.target.address,
            status: 'failed',
            durationMs: Math.round(outcome.durationMs),
            error: outcome.error.toJSON(),
          },
    ),
    summary: {hosts: outcomes.length, gathered: outcomes.length - failed, failed},
  }
}
