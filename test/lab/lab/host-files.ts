/** Files the launcher writes for one lab host and the setup script installs inside it. */
export interface HostFile {
  /** Absolute path inside the host. */
  path: string
  mode: number
  content: string
}

export interface HostFilesParams {
  name: string
  sshPort: number
  httpPort: number
  clientPublicKey: string
}

/** Users with the lab client key authorized; `limited` needs a password for sudo. */
export const LAB_USERS = ['root', 'deploy', 'limited'] as const
export const LAB_LIMITED_PASSWORD = 'limited-lab-password'

export const LAB_WEB_ROOT = '/var/www/lab'
export const LAB_SITE_AVAILABLE = '/etc/nginx/sites-available/lab'
export const LAB_SITE_ENABLED = '/etc/nginx/sites-enabled/lab'
export const LAB_HOME_BASE = '/var/lib/lab-home'
export const FPM_SOCKET = '/run/php/php8.2-fpm.sock'
export const FPM_PID_FILE = '/run/php/php8.2-fpm.pid'
export const FPM_SERVICE = 'php8.2-fpm'
export const FPM_BINARY = 'php-fpm8.2'
export const FPM_POOL_FILE = '/etc/php/8.2/fpm/pool.d/www.conf'
export const NGINX_PID_FILE = '/run/nginx.pid'

export function renderHostFiles(params: HostFilesParams): HostFile[] {
  const authorizedKeys = LAB_USERS.map((user) => ({
    path: `/etc/ssh/authorized_keys/${user}`,
    mode: 0o644,
    content: `${params.clientPublicKey.trim()}\n`,
  }))
  return [
    {path: '/etc/hostname', mode: 0o644, content: `${params.name}\n`},
    {path: '/etc/ssh/sshd_config', mode: 0o644, content: renderSshdConfig(params.sshPort)},
    ...authorizedKeys,
    {path: '/etc/sudoers.d/lab-deploy', mode: 0o440, content: 'deploy ALL=(ALL:ALL) NOPASSWD: ALL\n'},
    {path: '/etc/sudoers.d/lab-limited', mode: 0o440, content: 'limited ALL=(ALL:ALL) ALL\n'},
    {path: LAB_SITE_AVAILABLE, mode: 0o644, content: renderNginxSite(params.name, params.httpPort)},
    ...renderPhpScripts(),
  ]
}

export function renderSshdConfig(sshPort: number): string {
  return [
    `ListenAddress 127.0.0.1:${sshPort}`,
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    // Keys live under /etc so every host has its own copy; root's real home is shared with the machine.
    'AuthorizedKeysFile /etc/ssh/authorized_keys/%u',
    'StrictModes no',
    'UsePAM yes',
    'X11Forwarding no',
    'PrintMotd no',
    'AcceptEnv LANG LC_*',
    // Tests open many connections at once (one per fork); the default 10:30:100 drops some.
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n')
}

export function renderNginxSite(name: string, httpPort: number): string {
  return `server {
\tlisten 127.0.0.1:${httpPort};
\tserver_name ${name};

\troot ${LAB_WEB_ROOT};
\tindex index.php index.html;

\tlocation / {
\t\ttry_files $uri $uri/ =404;
\t}

\tlocation ~ \\.php$ {
\t\tinclude snippets/fastcgi-php.conf;
\t\tfastcgi_pass unix:${FPM_SOCKET};
\t}
}
`
}

function renderPhpScripts(): HostFile[] {
  const script = (file: string, body: string): HostFile => ({
    path: `${LAB_WEB_ROOT}/${file}`,
    mode: 0o644,
    content: `<?php\n${body}`,
  })
  return [
    script('index.php', "echo 'ok';\n"),
    script(
      'slow.php',
      "$seconds = isset($_GET['s']) ? (float) $_GET['s'] : 5.0;\n" +
        'usleep((int) max(0, $seconds * 1000000));\n' +
        "echo 'slow ok';\n",
    ),
    script(
      'big-header.php',
      "$kib = isset($_GET['kb']) ? (int) $_GET['kb'] : 16;\n" +
        "header('X-Lab-Big: ' . str_repeat('x', max(0, $kib) * 1024));\n" +
        "echo 'big ok';\n",
    ),
  ]
}
