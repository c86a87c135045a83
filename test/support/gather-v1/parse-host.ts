import type {HostSnapshot, SelinuxMode} from '../../../src/model/snapshot.js'
import {parseOsRelease} from '../../../src/gather/parse-host.js'
import {optionalInt, optionalText} from '../../../src/protocol/frames.js'

export function detectSelinux(env: Map<string, string>): SelinuxMode {
  const reported = env.get('selinux_getenforce')?.trim().toLowerCase()
  if (reported === 'enforcing' || reported === 'permissive' || reported === 'disabled') return reported
  const enforce = env.get('selinux_enforce')?.trim()
  if (enforce === '1') return 'enforcing'
  if (enforce === '0') return 'permissive'
  if (env.get('selinux_fs') === '1') return 'disabled'
  return 'absent'
}

export function osFrom(env: Map<string, string>, osRelease: string | undefined): HostSnapshot['os'] {
  const release = parseOsRelease(osRelease ?? '')
  return {
    id: optionalText(release.get('ID')),
    idLike: (release.get('ID_LIKE') ?? '').split(/\s+/).filter((id) => id !== ''),
    versionId: optionalText(release.get('VERSION_ID')),
    prettyName: optionalText(release.get('PRETTY_NAME')),
    kernel: optionalText(env.get('kernel')),
    arch: optionalText(env.get('arch')),
  }
}

export function cpusFrom(env: Map<string, string>): number | undefined {
  const cpus = optionalInt(env.get('nproc'))
  return cpus !== undefined && cpus > 0 ? cpus : undefined
}
