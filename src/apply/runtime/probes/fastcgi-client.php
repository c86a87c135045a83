<?php
// One FastCGI request (BEGIN_REQUEST, PARAMS, empty PARAMS, empty STDIN), then records until
// END_REQUEST. Run as `php -n fastcgi-client.php ADDRESS URI TIMEOUT_S`; ADDRESS is
// unix:///path or tcp://host:port. Exit 0 with a one-line summary when a well-formed response
// ends (any status: the pool answered); non-zero otherwise.

$target = $argv[1];
$uri = $argv[2];
$timeout = (float) $argv[3];

$sock = @stream_socket_client($target, $errno, $errstr, $timeout);
if ($sock === false) {
    fwrite(STDERR, "cannot connect to $target: $errstr ($errno)\n");
    exit(2);
}
stream_set_timeout($sock, (int) ceil($timeout));

$record = function ($type, $body) {
    return pack('CCnnCx', 1, $type, 1, strlen($body), 0) . $body;
};
$length = function ($n) {
    return $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
};
$params = [
    'GATEWAY_INTERFACE' => 'CGI/1.1',
    'REQUEST_METHOD' => 'GET',
    'SCRIPT_NAME' => $uri,
    'SCRIPT_FILENAME' => $uri,
    'REQUEST_URI' => $uri,
    'DOCUMENT_URI' => $uri,
    'QUERY_STRING' => '',
    'SERVER_PROTOCOL' => 'HTTP/1.1',
    'SERVER_SOFTWARE' => 'fpmfix',
    'SERVER_NAME' => 'localhost',
    'SERVER_ADDR' => '127.0.0.1',
    'SERVER_PORT' => '80',
    'REMOTE_ADDR' => '127.0.0.1',
    'REMOTE_PORT' => '0',
    'CONTENT_LENGTH' => '0',
];
$body = '';
foreach ($params as $name => $value) {
    $body .= $length(strlen($name)) . $length(strlen($value)) . $name . $value;
}
$request = $record(1, pack('nCx5', 1, 0)) . $record(4, $body) . $record(4, '') . $record(5, '');
if (fwrite($sock, $request) !== strlen($request)) {
    fwrite(STDERR, "cannot send the request to $target\n");
    exit(3);
}

// Exactly $n bytes, or why they did not come.
$read = function ($n) use ($sock) {
    $buffer = '';
    while (strlen($buffer) < $n) {
        $chunk = fread($sock, $n - strlen($buffer));
        if ($chunk === false || $chunk === '') {
            $meta = stream_get_meta_data($sock);
            return $meta['timed_out'] ? 'timed out' : 'connection closed';
        }
        $buffer .= $chunk;
    }
    return [$buffer];
};

$out = '';
$err = '';
while (true) {
    $head = $read(8);
    if (!is_array($head)) {
        fwrite(STDERR, "no complete FastCGI response from $target ($head)\n");
        exit(4);
    }
    $h = unpack('Cversion/Ctype/nid/nlength/Cpadding/Creserved', $head[0]);
    if ($h['version'] !== 1 || $h['type'] < 1 || $h['type'] > 11) {
        fwrite(STDERR, "malformed FastCGI record from $target\n");
        exit(5);
    }
    $content = '';
    if ($h['length'] + $h['padding'] > 0) {
        $c = $read($h['length'] + $h['padding']);
        if (!is_array($c)) {
            fwrite(STDERR, "no complete FastCGI response from $target ($c)\n");
            exit(4);
        }
        $content = substr($c[0], 0, $h['length']);
    }
    if ($h['type'] === 6) {
        $out .= $content;
    } elseif ($h['type'] === 7) {
        $err .= $content;
    } elseif ($h['type'] === 3) {
        break;
    }
}
$status = preg_match('/^Status:\s*(\d{3})/mi', $out, $m) ? $m[1] : '200';
echo "FastCGI $target $uri: status $status" . ($err !== '' ? '; stderr: ' . trim($err) : '') . "\n";
