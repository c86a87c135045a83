/**
 * What apply verifies after acting, as a plan records it (`HostPlan.verify`): the listeners each
 * php-fpm install must serve again and the end-to-end probes.
 */

/** A unix socket a pool must create, with the owner/group/mode it must have (names or numeric ids; mode octal). */
export interface SocketExpectation {
  path: string
  owner?: string
  group?: string
  mode?: string
}

export interface TcpExpectation {
  host: string
  port: number
}

/** One listener a php-fpm install must serve after its action: a unix socket or a TCP port. */
export interface ListenerExpectation {
  socket?: SocketExpectation
  tcp?: TcpExpectation
}

/** What apply needs to know about one php-fpm install (keyed by install id = binary path). */
export interface FpmInstallOptions {
  /** Main config passed as `-y` to `php-fpm -t` and to a direct start. */
  mainConfig?: string
  /** Listeners that must be up (with this owner/group/mode) once the action has taken effect. */
  expect?: ListenerExpectation[]
}

export interface NginxOptions {
  /** nginx binary; default `nginx` from PATH. */
  binary?: string
  /** `-c` main config, when not the compiled-in default. */
  config?: string
  /** `-p` prefix, when not the compiled-in default. */
  prefix?: string
}

/** A FastCGI round trip to one pool; any well-formed response means the pool answers. */
export interface FastcgiProbe {
  /** Unix socket path, or `{host, port}` for TCP. */
  socket?: string
  tcp?: TcpExpectation
  /** The pool's `ping.path`, when it defines one; otherwise a request for a missing script is sent. */
  pingPath?: string
}

/** An HTTP GET through nginx; 502, 504 or no response fails the transaction. */
export interface HttpProbe {
  /** `http://127.0.0.1:PORT/path` */
  url: string
  /** Host header, to reach a name-based server block. */
  hostHeader?: string
}

export interface ApplyProbes {
  /** Default: one probe per listener expected by the php-fpm actions. */
  fastcgi?: FastcgiProbe[]
  http?: HttpProbe[]
}

/** Everything apply checks on a host after acting on it. */
export interface HostVerification {
  fpm: Record<string, FpmInstallOptions>
  nginx: NginxOptions
  probes: ApplyProbes
}
