<?php
// An HTTP/1.0 GET printing only the response's status code ("000": no response), for hosts
// without curl or wget. Run as `php -n http-client.php URL HOST_HEADER TIMEOUT_S`; an empty
// HOST_HEADER sends the URL's host.

$u = parse_url($argv[1]);
$timeout = (float) $argv[3];
$host = $u['host'] ?? '127.0.0.1';
$port = $u['port'] ?? 80;
$path = ($u['path'] ?? '/') . (isset($u['query']) ? '?' . $u['query'] : '');
$header = $argv[2] !== '' ? $argv[2] : $host;

$sock = @fsockopen($host, $port, $errno, $errstr, $timeout);
if ($sock === false) {
    fwrite(STDERR, "cannot connect to $host:$port: $errstr\n");
    echo '000';
    exit(0);
}
stream_set_timeout($sock, (int) ceil($timeout));
fwrite($sock, "GET $path HTTP/1.0\r\nHost: $header\r\nUser-Agent: fpmfix\r\nConnection: close\r\n\r\n");
$line = fgets($sock);
echo preg_match('#^HTTP/\d(?:\.\d)? (\d{3})#', (string) $line, $m) ? $m[1] : '000';
