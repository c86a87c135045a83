import {ABSENT, type Fingerprint} from '../model/plan.js'
import type {HostSnapshot, RawFile} from '../model/snapshot.js'

function fileFingerprint(file: RawFile): Fingerprint | undefined {
  if (!file.exists) return {kind: 'file', key: file.path, sha256: ABSENT}
  return file.sha256 === undefined ? undefined : {kind: 'file', key: file.path, sha256: file.sha256}
}

/** Every config file the plan was computed from, for apply's stale check. */
export function fingerprints(snapshot: HostSnapshot): Fingerprint[] {
  const files = [
    ...(snapshot.nginx.present ? snapshot.nginx.configFiles : []),
    ...snapshot.fpmInstalls.flatMap((install) => install.files),
  ]
  const seen = new Set<string>()
  const result: Fingerprint[] = []
  for (const file of files) {
    if (seen.has(file.path)) continue
    seen.add(file.path)
    const fingerprint = fileFingerprint(file)
    if (fingerprint) result.push(fingerprint)
  }
  return result
}
