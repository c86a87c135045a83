import type {ListenerProcess, TcpListener, UnixListener} from '../model/snapshot.js'

type RawUnixListener = Omit<UnixListener, 'otherNamespace'>

/** The `users:(("php-fpm8.2",pid=812,fd=8),…)` column of ss -p. */
export function parseSsProcesses(column: string | undefined): ListenerProcess[] {
  if (column === undefined) return []
  return [...column.matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)/g)].map((match) => ({
    name: match[1] ?? '',
    pid: Number(match[2]),
    fd: Number(match[3]),
  }))
}

/** `ss -lnpx`: Netid State Recv-Q Send-Q Path Inode Peer PeerInode [users:(…)]. */
export function parseSsUnix(text: string): RawUnixListener[] {
  const listeners: RawUnixListener[] = []
  for (const line of text.split('\n')) {
    const match = /^(u_str|u_seq)\s+LISTEN\s+(\d+)\s+(\d+)\s+(.+?)\s+(\d+)\s+\S+\s+\d+(?:\s+(users:.*))?\s*$/.exec(line)
    if (match === null) continue
    const [, , recvQ, sendQ, path = '', inode, users] = match
    listeners.push({
      path,
      recvQ: Number(recvQ),
      sendQ: Number(sendQ),
      inode: Number(inode),
      processes: parseSsProcesses(users),
    })
  }
  return listeners
}

function splitHostPort(local: string): {address: string; port: number} | undefined {
  const match = /^(.*):(\d+)$/.exec(local)
  if (match === null) return undefined
  const address = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1')
  return {address, port: Number(match[2])}
}

/** `ss -ltnp` (or the tcp lines of `ss -lnpxt`, after their Netid): State Recv-Q Send-Q Local Peer [users:(…)]. */
export function parseSsTcp(text: string): TcpListener[] {
  const listeners: TcpListener[] = []
  for (const line of text.split('\n')) {
    const match = /^(?:tcp\s+)?LISTEN\s+(\d+)\s+(\d+)\s+(\S+)\s+\S+(?:\s+(users:.*))?\s*$/.exec(line)
    if (match === null) continue
    const [, recvQ, sendQ, local = '', users] = match
    const endpoint = splitHostPort(local)
    if (endpoint === undefined) continue
    listeners.push({...endpoint, recvQ: Number(recvQ), sendQ: Number(sendQ), processes: parseSsProcesses(users)})
  }
  return listeners
}

/** Listening lines of /proc/net/unix (already filtered to the __SO_ACCEPTCON flag by the script). */
export function parseProcNetUnix(text: string): RawUnixListener[] {
  const listeners: RawUnixListener[] = []
  for (const line of text.split('\n')) {
    const match =
      /^[0-9a-fA-F]+:\s+[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+00010000\s+[0-9a-fA-F]+\s+[0-9a-fA-F]+\s+(\d+)\s+(\/.*)$/.exec(
        line,
      )
    if (match === null) continue
    listeners.push({path: match[2] ?? '', inode: Number(match[1]), processes: []})
  }
  return listeners
}

function ipv4FromHex(hex: string): string {
  const bytes = Buffer.from(hex, 'hex')
  return [bytes[3], bytes[2], bytes[1], bytes[0]].join('.')
}

function ipv6FromHex(hex: string): string {
  const words: string[] = []
  for (let word = 0; word < 4; word += 1) {
    const chunk = Buffer.from(hex.slice(word * 8, word * 8 + 8), 'hex')
      .reverse()
      .toString('hex')
    words.push(chunk.slice(0, 4), chunk.slice(4))
  }
  return words
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
}

/** /proc/net/tcp or tcp6: listeners are state 0A; rx_queue is the current accept queue. */
export function parseProcNetTcp(text: string): TcpListener[] {
  const listeners: TcpListener[] = []
  for (const line of text.split('\n')) {
    const match = /^\s*\d+:\s+([0-9A-Fa-f]+):([0-9A-Fa-f]{4})\s+\S+\s+0A\s+([0-9A-Fa-f]+):([0-9A-Fa-f]+)/.exec(line)
    if (match === null) continue
    const [, hexAddress = '', hexPort = '', , rxQueue = '0'] = match
    const address = hexAddress.length === 8 ? ipv4FromHex(hexAddress) : ipv6FromHex(hexAddress)
    listeners.push({address, port: Number.parseInt(hexPort, 16), recvQ: Number.parseInt(rxQueue, 16), processes: []})
  }
  return listeners
}
