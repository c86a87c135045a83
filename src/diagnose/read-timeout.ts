import type {Sourced} from '../model/facts.js'

/** nginx's fastcgi_read_timeout default: what a fix with no bound from PHP starts from. */
const NGINX_DEFAULT_SECONDS = 60

export interface PhpLimit {
  name: 'request_terminate_timeout' | 'max_execution_time'
  seconds: number
  source: Sourced<number>['source']
}

export interface ReadTimeoutPlan {
  /** The fastcgi_read_timeout to write, in seconds; undefined when it cannot go higher. */
  seconds?: number
  /** Why that value, in words, for the finding. */
  why: string
}

/**
 * How long nginx should wait for a pool whose requests outlast fastcgi_read_timeout (504s).
 * A request cannot run longer than PHP lets it: request_terminate_timeout, else max_execution_time
 * (CPU time on Linux, so it only bounds the wall clock when it exceeds what nginx waited) — nginx
 * waits that long. With no such bound, twice the current wait (at least nginx's 60 s default) or
 * twice the longest run php-fpm logged. Never beyond the policy's maximum.
 */
export function planReadTimeout(input: {
  current: number
  limit: PhpLimit | undefined
  longestLoggedSeconds: number | undefined
  maxSeconds: number
}): ReadTimeoutPlan {
  const {current, limit, longestLoggedSeconds: logged, maxSeconds} = input
  let wanted: number
  let why: string
  if (limit !== undefined && limit.seconds > current) {
    wanted = Math.max(limit.seconds, Math.ceil(logged ?? 0))
    const where = limit.source === 'default' ? '' : `, ${limit.source.file}:${limit.source.line}`
    why = `PHP lets a request run up to ${limit.seconds}s (${limit.name}${where}), so nginx waits that long`
  } else {
    wanted = Math.max(2 * current, NGINX_DEFAULT_SECONDS, Math.ceil(2 * (logged ?? 0)))
    why =
      logged !== undefined
        ? `php-fpm logged a request still running after ${round(logged)}s and nothing in PHP bounds it; twice that`
        : 'no limit in PHP bounds how long requests run and nothing logged their length; ' +
          `twice the current wait (at least nginx's default ${NGINX_DEFAULT_SECONDS}s)`
  }
  if (wanted > maxSeconds) {
    if (maxSeconds <= current)
      return {
        why:
          `fastcgi_read_timeout is already at the policy maximum (${maxSeconds}s): make the requests faster, ` +
          "or raise the policy's max_read_timeout_seconds deliberately",
      }
    return {seconds: maxSeconds, why: `${why}, capped at the policy maximum ${maxSeconds}s`}
  }
  return {seconds: wanted, why: `${why} (policy maximum ${maxSeconds}s)`}
}

function round(seconds: number): string {
  return String(Math.round(seconds * 10) / 10)
}
