/** Where and what one route's requests go to. Every address is one of the target host's own. */
export interface RouteSpec {
  /** The URL a browser would use: `http://HOST-HEADER/PATH`. */
  url: string
  /** Address connected to when the load comes from the host itself (its loopback or a listen address). */
  hostDial: {host: string; port: number}
  path: string
  hostHeader: string
  /** `flag` for --url, `server-block` when derived from nginx's server blocks. */
  source: 'flag' | 'server-block'
  /** `file:line` of the fastcgi_pass of the server block the route was derived from or matched. */
  fastcgiPass?: string
}

/** How much load one route gets. At least one of requests and durationMs is set; whichever ends first stops it. */
export interface LoadSpec {
  concurrency: number
  requests?: number
  durationMs?: number
  /** A request with no complete answer after this long counts as a timeout. */
  timeoutMs: number
}

/** Why a request got no HTTP answer. */
export type LoadErrorKind = 'connect' | 'closed' | 'timeout' | 'protocol'

export const LOAD_ERROR_KINDS: readonly LoadErrorKind[] = ['connect', 'closed', 'timeout', 'protocol']

/** What one load run measured, from either engine (this machine, or the program on the host). */
export interface LoadSample {
  /** Requests that ended: answered or failed. */
  requests: number
  /** Answers by HTTP status code. */
  statuses: Record<string, number>
  errors: Record<LoadErrorKind, number>
  /** The first error's message, to say why. */
  firstError?: string
  /** Latency of answered requests in microseconds: bucket (see latencyBucket) → count. */
  latencyUs: Map<number, number>
  elapsedMs: number
}

export interface LatencySummary {
  p50: number
  p95: number
  p99: number
  max: number
}

/** One route's figures, as printed and in --json. */
export interface RouteReport {
  url: string
  hostHeader: string
  /** `host:port` actually connected to. */
  connect: string
  source: RouteSpec['source']
  fastcgiPass?: string
  requests: number
  /** Requests that got an HTTP answer (any status). */
  responses: number
  statuses: Record<string, number>
  /** Answers with a 5xx status. */
  serverErrors: number
  /** 502 and 504 answers: nginx could not get (a timely) one from PHP-FPM. */
  badGateway: number
  /** Requests with no answer: refused, reset or closed, malformed (timeouts are counted apart). */
  connectionErrors: number
  timeouts: number
  firstError?: string
  /** Milliseconds, of answered requests; null when none was answered. */
  latencyMs: LatencySummary | null
  /** Answered requests per second. */
  requestsPerSecond: number
  durationMs: number
  /** Every request got a non-5xx answer. */
  passed: boolean
}

/** Where the requests come from: the host itself (default) or the machine running fpmfix. */
export type LoadOrigin = 'host' | 'here'

export interface VerifyReport {
  status: 'passed' | 'failed'
  from: LoadOrigin
  /** The load each route got. */
  load: LoadSpec
  routes: RouteReport[]
}
