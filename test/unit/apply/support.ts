import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {FileChange, Fingerprint, HostPlan, ServiceAction} from '../../../src/model/plan.js'
import {fileChange, hostPlan} from '../../support/plan-document.js'

export {sha256} from '../../support/plan-document.js'

const temps: string[] = []

/** A scratch tree standing in for a host: <root>/etc/nginx, <root>/state, <root>/bin. Removed by cleanupTemps(). */
export function scratchHost(): {root: string; nginxDir: string; stateDir: string; bin: string} {
  const root = mkdtempSync(join(tmpdir(), 'fpmfix-apply-'))
  temps.push(root)
  const nginxDir = join(root, 'etc', 'nginx')
  const bin = join(root, 'bin')
  mkdirSync(nginxDir, {recursive: true})
  mkdirSync(bin)
  return {root, nginxDir, stateDir: join(root, 'state'), bin}
}

export function cleanupTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, {recursive: true, force: true})
}

/** An executable standing in for `nginx`: `-t` prints `output`, exits `code`, after `sleepS` seconds. */
export function fakeNginx(bin: string, name: string, code: number, output: string, sleepS = 0): string {
  const path = join(bin, name)
  writeFileSync(
    path,
    `#!/bin/sh\n${sleepS > 0 ? `sleep ${sleepS}\n` : ''}printf '%s\\n' '${output.replaceAll("'", `'\\''`)}'\nexit ${code}\n`,
  )
  chmodSync(path, 0o755)
  return path
}

export function change(path: string, before: string | undefined, after: string): FileChange {
  return fileChange(path, before, after)
}

export function plan(changes: FileChange[], fingerprints: Fingerprint[] = [], actions: ServiceAction[] = []): HostPlan {
  return hostPlan({name: 'scratch', address: 'localhost'}, {changes, fingerprints, actions})
}
