import type {DesiredState} from './desired.js'

/** The planner's tunables: what counts as evidence and how far a fix may go. */
export interface Policy {
  /** Log lines older than this never count as evidence of a current problem. */
  windowMinutes: number
  sizing: {
    /** RAM kept free for everything but php-fpm when sizing pm.max_children: this share of MemTotal … */
    reservePercent: number
    /** … and at least this much. */
    reserveMinMb: number
    /** Margin left unused of the memory php-fpm may take. */
    headroomPercent: number
    /** pm.max_children grows at most this many times in one plan. */
    maxGrowthFactor: number
    /** Per-worker memory assumed when no worker runs to be measured. */
    assumedWorkerMb: number
  }
  sockets: {
    /** listen.mode given to a socket the nginx workers must reach (never world-accessible). */
    listenMode: number
  }
  buffers: {
    /** fastcgi_buffer_size a too-big-header fix starts from … */
    minBufferSizeKb: number
    /** … and never exceeds. */
    maxBufferSizeKb: number
  }
  timeouts: {
    /** fastcgi_read_timeout a 504 fix may raise to, at most (seconds). */
    maxReadTimeoutSeconds: number
    /** process_control_timeout a reload-cuts-requests fix sets: how long a reload lets requests finish (seconds). */
    reloadWaitSeconds: number
  }
  /** What every host should look like (PHP version, pool and nginx settings), when the policy says. */
  desired?: DesiredState
}

/** The built-in policy; plans/default.ini spells out the same values for operators to copy. */
export const DEFAULT_POLICY: Policy = {
  windowMinutes: 60,
  sizing: {reservePercent: 10, reserveMinMb: 256, headroomPercent: 10, maxGrowthFactor: 4, assumedWorkerMb: 64},
  sockets: {listenMode: 0o660},
  buffers: {minBufferSizeKb: 32, maxBufferSizeKb: 256},
  timeouts: {maxReadTimeoutSeconds: 300, reloadWaitSeconds: 10},
}
