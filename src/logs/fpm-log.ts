import type {FpmLogEvent} from '../model/log-events.js'
import {parseFpmTime} from './log-time.js'

const HEAD =
  /^\[(\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2})\] (DEBUG|NOTICE|WARNING|ERROR|ALERT): (?:pid \d+, [^:]*: )?(.*)$/

type Classified = Omit<FpmLogEvent, 'source' | 'file' | 'line' | 'raw' | 'time' | 'level' | 'message'>

const MATCHERS: Array<[RegExp, (m: RegExpExecArray) => Classified]> = [
  [
    /^\[pool ([^\]]+)\] server reached (?:pm\.)?max_children setting \((\d+)\)/,
    (m) => ({kind: 'max-children-reached', pool: m[1]!, limit: Number(m[2])}),
  ],
  [/^\[pool ([^\]]+)\] seems busy/, (m) => ({kind: 'seems-busy', pool: m[1]!})],
  [
    /^\[pool ([^\]]+)\] child (\d+) exited on signal (\d+) \((SIG\w+)( - core dumped)?\) after ([\d.]+) seconds/,
    (m) => ({
      kind: 'child-exited-signal',
      pool: m[1]!,
      pid: Number(m[2]),
      signal: Number(m[3]),
      signalName: m[4]!,
      coreDumped: m[5] !== undefined,
      seconds: Number(m[6]),
    }),
  ],
  [
    /^\[pool ([^\]]+)\] child (\d+) exited with code (\d+) after ([\d.]+) seconds/,
    (m) => ({kind: 'child-exited-code', pool: m[1]!, pid: Number(m[2]), exitCode: Number(m[3]), seconds: Number(m[4])}),
  ],
  [
    /failed processes threshold \((\d+) in (\d+) sec\) is reached, initiating reload/,
    (m) => ({kind: 'emergency-restart', limit: Number(m[1])}),
  ],
  [
    /^\[pool ([^\]]+)\] child (\d+), script '([^']*)' \(request: "([^"]*)"\) execution timed out \(([\d.]+) sec\), terminating/,
    (m) => ({
      kind: 'execution-timed-out',
      pool: m[1]!,
      pid: Number(m[2]),
      script: m[3]!,
      request: m[4]!,
      seconds: Number(m[5]),
    }),
  ],
  [
    /^\[pool ([^\]]+)\] child (\d+), script '([^']*)' \(request: "([^"]*)"\) executing too slow \(([\d.]+) sec\)/,
    (m) => ({
      kind: 'executing-too-slow',
      pool: m[1]!,
      pid: Number(m[2]),
      script: m[3]!,
      request: m[4]!,
      seconds: Number(m[5]),
    }),
  ],
  [
    // Written by a worker: through catch_workers_output as `child N said into stderr: "ERROR: Connection disallowed…"`.
    /^(?:\[pool ([^\]]+)\] )?(?:child (\d+) said into stderr: "(?:ERROR: )?)?Connection disallowed: IP address '([^']+)' has been dropped/,
    (m) => ({
      kind: 'connection-disallowed',
      ...(m[1] ? {pool: m[1]} : {}),
      ...(m[2] ? {pid: Number(m[2])} : {}),
      client: m[3]!,
    }),
  ],
  [
    /^(?:\[pool ([^\]]+)\] )?child (\d+) said into stderr: /,
    (m) => ({kind: 'worker-stderr', ...(m[1] ? {pool: m[1]} : {}), pid: Number(m[2])}),
  ],
  [/unable to bind listening socket for address/, () => ({kind: 'bind-failed'})],
  [/^An?(?: another)? FPM instance seems to already listen on/, () => ({kind: 'another-instance'})],
  // The master got SIGUSR2: it ends its workers (at once when process_control_timeout is 0) and re-executes.
  [/^Reloading in progress/, () => ({kind: 'reloading'})],
  [/^FPM initialization failed/, () => ({kind: 'init-failed'})],
  [/^\[pool ([^\]]+)\] ACL set, listen\.(?:owner|group) = /, (m) => ({kind: 'acl-ignores-owner', pool: m[1]!})],
]

function classify(level: string, message: string): Classified {
  for (const [pattern, build] of MATCHERS) {
    const match = pattern.exec(message)
    if (match) return build(match)
  }
  if (level === 'ERROR' || level === 'ALERT') {
    const pool = /^\[pool ([^\]]+)\] /.exec(message)?.[1]
    return {kind: 'config-error', ...(pool === undefined ? {} : {pool})}
  }
  return {kind: 'other'}
}

/** One php-fpm log line (zlog format) → event, or undefined for anything else (slowlog traces, syslog). */
export function parseFpmLogLine(raw: string, file: string, line: number): FpmLogEvent | undefined {
  const head = HEAD.exec(raw)
  if (!head) return undefined
  const level = head[2]!
  const message = head[3]!
  return {source: 'fpm', file, line, raw, time: parseFpmTime(head[1]!), level, message, ...classify(level, message)}
}

export function parseFpmLog(text: string, file: string): FpmLogEvent[] {
  const events: FpmLogEvent[] = []
  text.split('\n').forEach((raw, index) => {
    const event = parseFpmLogLine(raw.replace(/\r$/, ''), file, index + 1)
    if (event) events.push(event)
  })
  return events
}
