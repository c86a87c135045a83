import type {GroupEntry, PasswdEntry} from '../../../src/model/snapshot.js'

/** `getent passwd` / /etc/passwd lines; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = []
  for (const line of text.split('\n')) {
    const fields = line.split(':')
    if (fields.length < 7) continue
    const [name = '', , uid = '', gid = '', gecos = '', home = '', ...shell] = fields
    if (name === '' || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue
    entries.push({name, uid: Number(uid), gid: Number(gid), gecos, home, shell: shell.join(':')})
  }
  return entries
}

/** `getent group` / /etc/group lines; malformed lines are skipped. */
export function parseGroups(text: string): GroupEntry[] {
  const entries: GroupEntry[] = []
  for (const line of text.split('\n')) {
    const fields = line.split(':')
    if (fields.length < 4) continue
    const [name = '', , gid = '', members = ''] = fields
    if (name === '' || !/^\d+$/.test(gid)) continue
    entries.push({name, gid: Number(gid), members: members.split(',').filter((member) => member !== '')})
  }
  return entries
}
