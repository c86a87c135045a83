/** Hosts a listener binds to when it means every address: `listen = 9000`, `0.0.0.0:9000`, `*:80`, `[::]:80`. */
const LISTEN_ALL = new Set(['0.0.0.0', '*', '::', '[::]'])

export function isListenAll(host: string | undefined): boolean {
  return host === undefined || host === '' || LISTEN_ALL.has(host)
}

/** The address to dial to reach a listener bound to `host`: loopback for a listen-all address, else the host itself. */
export function dialHost(host: string | undefined): string {
  if (host === '::' || host === '[::]') return '::1'
  return isListenAll(host) ? '127.0.0.1' : host!
}

/** Where to connect to reach a TCP listener. */
export function dialable(listen: {host?: string; port: number}): {host: string; port: number} {
  return {host: dialHost(listen.host), port: listen.port}
}
