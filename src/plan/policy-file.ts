import {readFile} from 'node:fs/promises'

import {decode} from 'ini'

import {FpmfixError} from '../errors.js'
import {DEFAULT_POLICY, type Policy} from '../model/policy.js'

type Setter = (policy: Policy, value: number) => void

interface Key {
  set: Setter
  min: number
  max: number
  octal?: boolean
}

const KEYS: Record<string, Record<string, Key>> = {
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
  },
}

function invalid(source: string, message: string): FpmfixError {
  return new FpmfixError('POLICY_INVALID', `${source}: ${message}`, {
    hint: 'See plans/default.ini for every key, its meaning and its default.',
  })
}

/** A policy file's values over `base`; unknown sections or keys and out-of-range values are errors, never ignored. */
export function parsePolicy(text: string, source: string, base: Policy = DEFAULT_POLICY): Policy {
  const policy: Policy = structuredClone(base)
  const data = decode(text) as Record<string, unknown>
  for (const [section, entries] of Object.entries(data)) {
    if (typeof entries !== 'object' || entries === null)
      throw invalid(source, `${section} is outside a section; put it under one of [${Object.keys(KEYS).join('], [')}]`)
    const keys = KEYS[section]
    if (keys === undefined) {
      throw invalid(source, `unknown section [${section}] (sections: ${Object.keys(KEYS).join(', ')})`)
    }
    for (const [name, raw] of Object.entries(entries as Record<string, unknown>)) {
      const key = keys[name]
      if (key === undefined)
        throw invalid(source, `unknown key ${name} in [${section}] (keys: ${Object.keys(keys).join(', ')})`)
      const text = String(raw).trim()
      const value = key.octal
        ? /^0?[0-7]{3}$/.test(text)
          ? Number.parseInt(text, 8)
          : Number.NaN
        : /^\d+$/.test(text)
          ? Number(text)
          : Number.NaN
      if (Number.isNaN(value) || value < key.min || value > key.max) {
        const range = key.octal
          ? `an octal mode from 0${key.min.toString(8)} to 0${key.max.toString(8)}`
          : `a whole number from ${key.min} to ${key.max}`
        throw invalid(source, `[${section}] ${name} = ${text}: expected ${range}`)
      }
      if (key.octal && (value & 0o007) !== 0)
        throw invalid(source, `[${section}] ${name} = ${text} grants access to every user; use 0660 or tighter`)
      key.set(policy, value)
    }
  }
  if (policy.buffers.minBufferSizeKb > policy.buffers.maxBufferSizeKb)
    throw invalid(source, '[buffers] min_buffer_size_kb is larger than max_buffer_size_kb')
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
