import {readFile} from 'node:fs/promises'

import {FpmfixError} from '../errors.js'
import {DEFAULT_POLICY, type Policy} from '../model/policy.js'
import {policyError, readPolicyFile, readPolicyIni, type LimitKeys} from '../policy/index.js'

const KEYS: LimitKeys = {
  diagnosis: {window_minutes: {set: (p, v) => void (p.windowMinutes = v), min: 1, max: 7 * 24 * 60}},
  sizing: {
    reserve_percent: {set: (p, v) => void (p.sizing.reservePercent = v), min: 0, max: 90},
    reserve_min_mb: {set: (p, v) => void (p.sizing.reserveMinMb = v), min: 0, max: 1 << 20},
    headroom_percent: {set: (p, v) => void (p.sizing.headroomPercent = v), min: 0, max: 90},
    max_growth_factor: {set: (p, v) => void (p.sizing.maxGrowthFactor = v), min: 1, max: 100},
    assumed_worker_mb: {set: (p, v) => void (p.sizing.assumedWorkerMb = v), min: 1, max: 1 << 16},
  },
  sockets: {listen_mode: {set: (p, v) => void (p.sockets.listenMode = v), min: 0o600, max: 0o770, octal: true}},
  buffers: {
    min_buffer_size_kb: {set: (p, v) => void (p.buffers.minBufferSizeKb = v), min: 4, max: 1024},
    max_buffer_size_kb: {set: (p, v) => void (p.buffers.maxBufferSizeKb = v), min: 4, max: 1024},
  },
  timeouts: {
    max_read_timeout_seconds: {set: (p, v) => void (p.timeouts.maxReadTimeoutSeconds = v), min: 1, max: 24 * 3600},
    reload_wait_seconds: {set: (p, v) => void (p.timeouts.reloadWaitSeconds = v), min: 1, max: 3600},
  },
}

/**
 * A policy file's values over `base`: the limits below and the desired state (src/policy).
 * Unknown sections or keys and out-of-range values are errors with their file:line, never ignored.
 */
export function parsePolicy(text: string, source: string, base: Policy = DEFAULT_POLICY): Policy {
  const policy = readPolicyFile(text, source, base, KEYS)
  if (policy.buffers.minBufferSizeKb > policy.buffers.maxBufferSizeKb) {
    const line = readPolicyIni(text, source)
      .find((section) => section.name === 'buffers')
      ?.entries.find((entry) => entry.key.endsWith('_buffer_size_kb'))?.line
    throw policyError(source, line, '[buffers] min_buffer_size_kb is larger than max_buffer_size_kb')
  }
  return policy
}

export async function loadPolicy(path: string | undefined): Promise<Policy> {
  if (path === undefined) return DEFAULT_POLICY
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new FpmfixError('POLICY_INVALID', `cannot read policy file ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  return parsePolicy(text, path)
}
