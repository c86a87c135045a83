import {parseIniBoolean} from '../fpm/index.js'
import type {DesiredPhp, DesiredPoolRule, DesiredState, DesiredValue} from '../model/desired.js'
import type {Policy} from '../model/policy.js'
import {isNginxSetting, nginxBuffersProblem, nginxValueProblem} from './nginx-values.js'
import {policyError, readPolicyIni, type PolicyEntry, type PolicySection} from './policy-ini.js'
import {directiveSince, knownToVersion, OLDEST_KNOWN, versionCovered} from './pool-directives.js'
import {pmProblem, poolValueProblem, type StatedValue} from './pool-values.js'
import {versionKeyOf} from '../facts/install-version.js'

/** One of the planner's numeric limits ([diagnosis], [sizing], [sockets], [buffers]). */
export interface LimitKey {
  set: (policy: Policy, value: number) => void
  min: number
  max: number
  octal?: boolean
}

export type LimitKeys = Record<string, Record<string, LimitKey>>

const DESIRED_SECTIONS = ['php', 'nginx', 'pool:NAME']

function readLimit(
  policy: Policy,
  section: string,
  keys: Record<string, LimitKey>,
  entry: PolicyEntry,
  source: string,
): void {
  const key = keys[entry.key]
  if (key === undefined)
    throw policyError(
      source,
      entry.line,
      `unknown key ${entry.key} in [${section}] (keys: ${Object.keys(keys).join(', ')})`,
    )
  const text = entry.value.trim()
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
    throw policyError(source, entry.line, `[${section}] ${entry.key} = ${text}: expected ${range}`)
  }
  if (key.octal && (value & 0o007) !== 0)
    throw policyError(
      source,
      entry.line,
      `[${section}] ${entry.key} = ${text} grants access to every user; use 0660 or tighter`,
    )
  key.set(policy, value)
}

function readPhp(section: PolicySection, source: string): DesiredPhp {
  let php: Partial<DesiredPhp> = {retireOld: false}
  for (const entry of section.entries) {
    const at = {file: source, line: entry.line}
    if (entry.key === 'version') {
      if (!/^\d+\.\d+$/.test(entry.value.trim()))
        throw policyError(source, entry.line, `[php] version = ${entry.value}: expected major.minor, e.g. 8.2`)
      const versionKey = versionKeyOf(entry.value.trim())
      if (!versionCovered(versionKey))
        throw policyError(
          source,
          entry.line,
          `[php] version = ${entry.value}: fpmfix knows php-fpm from ${OLDEST_KNOWN} on`,
        )
      php = {...php, version: entry.value.trim(), versionKey, at}
    } else if (entry.key === 'retire_old') {
      const value = parseIniBoolean(entry.value)
      if (value === undefined || entry.value.trim() === '')
        throw policyError(source, entry.line, `[php] retire_old = ${entry.value}: expected yes or no`)
      php = {...php, retireOld: value, retireAt: at}
    } else throw policyError(source, entry.line, `unknown key ${entry.key} in [php] (keys: version, retire_old)`)
  }
  if (php.version === undefined)
    throw policyError(source, section.line, '[php] needs version = X.Y (the version every PHP site is served by)')
  return php as DesiredPhp
}

function stated(entries: DesiredValue[]): Map<string, StatedValue> {
  return new Map(entries.map((entry) => [entry.key, {value: entry.value, line: entry.at.line}]))
}

/** php-fpm option names are case-insensitive; array keys (`php_value[...]`) are exact. */
function poolKey(key: string): string {
  const bracket = key.indexOf('[')
  return bracket === -1
    ? key.toLowerCase()
    : `${key.slice(0, bracket).toLowerCase()}${key.slice(bracket).replace(/^\[\s*(.*?)\s*\]$/, '[$1]')}`
}

function readPool(section: PolicySection, pattern: string, source: string): DesiredPoolRule {
  if (pattern === '' || /[\s/]/.test(pattern))
    throw policyError(source, section.line, `[${section.name}]: expected a pool name or glob after "pool:"`)
  const glob = /[*?]/.test(pattern)
  const settings = section.entries.map((entry): DesiredValue => {
    const key = poolKey(entry.key)
    const problem = poolValueProblem(key, entry.value, entry.quoted, glob)
    if (problem !== undefined)
      throw policyError(source, entry.line, `[${section.name}] ${key} = ${entry.value}: ${problem}`)
    return {key, value: entry.value, at: {file: source, line: entry.line}}
  })
  const pm = pmProblem(stated(settings))
  if (pm !== undefined) throw policyError(source, pm.line, `[${section.name}] ${pm.message}`)
  return {pattern, at: {file: source, line: section.line}, settings}
}

function readNginx(section: PolicySection, source: string): DesiredValue[] {
  const settings = section.entries.map((entry): DesiredValue => {
    const key = entry.key.toLowerCase()
    if (!isNginxSetting(key))
      throw policyError(
        source,
        entry.line,
        `unknown key ${entry.key} in [nginx] (keys: fastcgi_connect_timeout, fastcgi_send_timeout, fastcgi_read_timeout, ` +
          'fastcgi_buffer_size, fastcgi_buffers, fastcgi_busy_buffers_size)',
      )
    const problem = nginxValueProblem(key, entry.value)
    if (problem !== undefined) throw policyError(source, entry.line, `[nginx] ${key} = ${entry.value}: ${problem}`)
    return {key, value: entry.value.trim().replace(/\s+/g, ' '), at: {file: source, line: entry.line}}
  })
  const buffers = nginxBuffersProblem(stated(settings))
  if (buffers !== undefined) throw policyError(source, buffers.line, `[nginx] ${buffers.message}`)
  return settings
}

/** Every pool directive must be one the target PHP version knows: php-fpm refuses the rest. */
function checkVersion(desired: DesiredState): void {
  const php = desired.php
  if (php === undefined) return
  for (const rule of desired.pools)
    for (const setting of rule.settings) {
      if (!knownToVersion(setting.key, php.versionKey))
        throw policyError(
          desired.file,
          setting.at.line,
          `[pool:${rule.pattern}] ${setting.key}: php-fpm ${php.version} does not know this directive (it exists from PHP ${directiveSince(setting.key)} on)`,
        )
    }
}

/**
 * A policy file over `base`: the planner's limits (`limits`: section → key → range) and the
 * desired state ([php], [pool:NAME|GLOB], [nginx]). Everything is checked before any host is
 * touched: unknown sections and keys, values php-fpm or nginx would refuse, impossible pm and
 * buffer combinations, a world-accessible socket, and directives the target PHP version does not
 * know, each reported as `file:line: …`.
 */
export function readPolicyFile(text: string, source: string, base: Policy, limits: LimitKeys): Policy {
  const policy: Policy = structuredClone(base)
  const desired: DesiredState = {file: source, pools: [], nginx: []}
  for (const section of readPolicyIni(text, source)) {
    const limitKeys = limits[section.name]
    const pool = /^pool:(.*)$/.exec(section.name)
    if (limitKeys !== undefined)
      for (const entry of section.entries) readLimit(policy, section.name, limitKeys, entry, source)
    else if (section.name === 'php') desired.php = readPhp(section, source)
    else if (section.name === 'nginx') desired.nginx = readNginx(section, source)
    else if (pool) desired.pools.push(readPool(section, pool[1]!.trim(), source))
    else
      throw policyError(
        source,
        section.line,
        `unknown section [${section.name}] (sections: ${[...Object.keys(limits), ...DESIRED_SECTIONS].join(', ')})`,
      )
  }
  checkVersion(desired)
  delete policy.desired
  if (desired.php !== undefined || desired.pools.length > 0 || desired.nginx.length > 0) policy.desired = desired
  return policy
}
