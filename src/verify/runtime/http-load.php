<?php
/*
 * fpmfix verify: HTTP load generated on the host itself, so the requests never cross the network
 * between fpmfix and the host. CONCURRENCY keep-alive connections each send the next GET as soon
 * as the previous answer is complete (as wrk does), reconnecting when the server closes, until
 * REQUESTS have ended or DURATION-MS has passed (0 = no such limit). A request's latency runs from
 * the moment it is due, so a reconnect counts against it.
 *
 *   php -n -- DIAL-HOST PORT PATH HOST-HEADER CONCURRENCY REQUESTS DURATION-MS TIMEOUT-MS < http-load.php
 *   (runtime/http-load.sh starts it with the host's PHP CLI)
 *
 * stdout, one record a line (the reader is src/verify/load-output.ts):
 *   fpmfix-load 1
 *   progress REQUESTS-ENDED            each second; when it cannot be written fpmfix is gone: stop
 *   status CODE COUNT                  answers by HTTP status
 *   error KIND COUNT                   connect | closed | timeout | protocol: requests with no answer
 *   first-error MESSAGE
 *   latency BUCKET-US COUNT            answered requests, bucketed as src/verify/latency.ts does
 *   end REQUESTS ELAPSED-US
 *
 * Only the core and `standard` (what `php -n` loads), and PHP 5.4 syntax.
 */

error_reporting(E_ALL);
ini_set('display_errors', 'stderr');

const S_HEAD = 0;
const S_SIZE = 1;
const S_DATA = 2;
const S_TRAILER = 3;
const S_BODY = 4;
const S_UNTIL_CLOSE = 5;

const BODY_NONE = 0;
const BODY_CHUNKED = 1;
const BODY_LENGTH = 2;
const BODY_CLOSE = 3;

const MAX_HEAD_BYTES = 1048576;
const TICK_US = 100000;

if (function_exists('hrtime')) {
    function now_us()
    {
        return (int) (hrtime(true) / 1000);
    }
} else {
    function now_us()
    {
        return (int) (microtime(true) * 1000000);
    }
}

/* Exact below 1 ms, else the first three significant digits: a relative error under 1 %. */
function latency_bucket($us)
{
    $digits = (string) max(0, (int) $us);
    $n = strlen($digits);
    return $n <= 3 ? (int) $digits : (int) (substr($digits, 0, 3) . str_repeat('0', $n - 3));
}

/* Status line and the headers that frame the body: array(status, keep-alive, body kind, length), or why not. */
function parse_head($head)
{
    $lines = explode("\r\n", $head);
    if (!preg_match('#^HTTP/1\.([01]) (\d{3})(?: |$)#', $lines[0], $m)) {
        return 'not an HTTP/1.x status line: ' . json_encode(substr($lines[0], 0, 80));
    }
    $status = (int) $m[2];
    $keep = $m[1] === '1';
    $length = -1;
    $chunked = false;
    for ($i = 1, $n = count($lines); $i < $n; $i++) {
        $colon = strpos($lines[$i], ':');
        if ($colon === false || $colon === 0) {
            continue;
        }
        $name = strtolower(trim(substr($lines[$i], 0, $colon)));
        $value = strtolower(trim(substr($lines[$i], $colon + 1)));
        if ($name === 'content-length') {
            if (!preg_match('/^\d+$/', $value)) {
                return "bad Content-Length: $value";
            }
            $length = (int) $value;
        } elseif ($name === 'transfer-encoding') {
            $chunked = (bool) preg_match('/(?:^|,)\s*chunked$/', $value);
        } elseif ($name === 'connection') {
            $tokens = array_map('trim', explode(',', $value));
            if (in_array('close', $tokens, true)) {
                $keep = false;
            } elseif (in_array('keep-alive', $tokens, true)) {
                $keep = true;
            }
        }
    }
    if (($status >= 100 && $status < 200) || $status === 204 || $status === 304) {
        return array($status, $keep, BODY_NONE, 0);
    }
    if ($chunked) {
        return array($status, $keep, BODY_CHUNKED, 0);
    }
    if ($length >= 0) {
        return array($status, $keep, BODY_LENGTH, $length);
    }
    return array($status, false, BODY_CLOSE, 0);
}

/* One client connection slot: at most one request in flight, the socket kept between requests. */
class Conn
{
    public $sock = null;
    public $connecting = false;
    public $busy = false;
    public $due = 0;
    /* Received bytes not parsed yet, and request bytes not written yet. */
    public $in = '';
    public $out = '';
    public $started = false;
    public $state = S_HEAD;
    public $remaining = 0;
    public $status = 0;
    public $keep = true;

    /* Parse what arrived: 0 when more is needed, 1 when a whole response is in, else why it is malformed. */
    public function feed()
    {
        $data = $this->in;
        $offset = 0;
        while (true) {
            switch ($this->state) {
                case S_HEAD:
                    $end = strpos($data, "\r\n\r\n", $offset);
                    if ($end === false) {
                        return $this->wait($data, $offset, 'response headers');
                    }
                    $head = parse_head(substr($data, $offset, $end - $offset));
                    $offset = $end + 4;
                    if (is_string($head)) {
                        return $head;
                    }
                    if ($head[0] < 200 && $head[0] !== 101) {
                        break;
                    }
                    $this->status = $head[0];
                    $this->keep = $head[1];
                    if ($head[2] === BODY_NONE || ($head[2] === BODY_LENGTH && $head[3] === 0)) {
                        return $this->done();
                    }
                    if ($head[2] === BODY_CHUNKED) {
                        $this->state = S_SIZE;
                    } elseif ($head[2] === BODY_CLOSE) {
                        $this->state = S_UNTIL_CLOSE;
                    } else {
                        $this->state = S_BODY;
                        $this->remaining = $head[3];
                    }
                    break;
                case S_SIZE:
                    $eol = strpos($data, "\r\n", $offset);
                    if ($eol === false) {
                        return $this->wait($data, $offset, 'a chunk size line');
                    }
                    $line = substr($data, $offset, $eol - $offset);
                    $offset = $eol + 2;
                    if (!preg_match('/^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/', $line, $m)) {
                        return 'bad chunk size line: ' . json_encode(substr($line, 0, 40));
                    }
                    $size = hexdec($m[1]);
                    if ($size == 0) {
                        $this->state = S_TRAILER;
                    } else {
                        /* The chunk and the CRLF after it. */
                        $this->state = S_DATA;
                        $this->remaining = $size + 2;
                    }
                    break;
                case S_DATA:
                case S_BODY:
                    $available = strlen($data) - $offset;
                    if ($available < $this->remaining) {
                        $this->remaining -= $available;
                        $this->in = '';
                        return 0;
                    }
                    $offset += $this->remaining;
                    $this->remaining = 0;
                    if ($this->state === S_BODY) {
                        return $this->done();
                    }
                    $this->state = S_SIZE;
                    break;
                case S_TRAILER:
                    $eol = strpos($data, "\r\n", $offset);
                    if ($eol === false) {
                        return $this->wait($data, $offset, 'the chunked trailer');
                    }
                    $blank = $eol === $offset;
                    $offset = $eol + 2;
                    if ($blank) {
                        return $this->done();
                    }
                    break;
                default:
                    $this->in = '';
                    return 0;
            }
        }
    }

    public function reset()
    {
        $this->in = '';
        $this->out = '';
        $this->started = false;
        $this->state = S_HEAD;
        $this->remaining = 0;
    }

    private function wait($data, $offset, $what)
    {
        if (strlen($data) - $offset > MAX_HEAD_BYTES) {
            return "$what longer than 1 MiB";
        }
        $this->in = $offset === 0 ? $data : (string) substr($data, $offset);
        return 0;
    }

    private function done()
    {
        $this->reset();
        return 1;
    }
}

class Run
{
    public $requests = 0;
    public $statuses = array();
    public $errors = array('connect' => 0, 'closed' => 0, 'timeout' => 0, 'protocol' => 0);
    public $firstError = null;
    public $latency = array();
    public $busy = 0;
    /* Connections whose request failed, waiting for their next one: issued from the loop, not from
       inside the failure, so a port that refuses at once cannot recurse. */
    public $ready = array();
    private $address;
    private $context;
    private $request;
    private $maxRequests;
    private $deadline;
    private $issued = 0;

    public function __construct($address, $request, $maxRequests, $deadline)
    {
        $this->address = $address;
        $this->request = $request;
        $this->maxRequests = $maxRequests;
        $this->deadline = $deadline;
        $this->context = stream_context_create(array('socket' => array('tcp_nodelay' => true)));
    }

    /* Give the connection its next request, or let it rest when the run has issued all it may. */
    public function next($c)
    {
        if (($this->maxRequests > 0 && $this->issued >= $this->maxRequests) || now_us() >= $this->deadline) {
            $this->drop($c);
            return;
        }
        $this->issued++;
        if (!$c->busy) {
            $c->busy = true;
            $this->busy++;
        }
        $c->reset();
        $c->due = now_us();
        if ($c->sock !== null) {
            $this->write($c, $this->request);
            return;
        }
        $errno = 0;
        $errstr = '';
        $flags = STREAM_CLIENT_CONNECT | STREAM_CLIENT_ASYNC_CONNECT;
        $sock = @stream_socket_client($this->address, $errno, $errstr, 30, $flags, $this->context);
        if ($sock === false) {
            $this->failed($c, 'connect', "cannot connect to {$this->address}: $errstr ($errno)");
            return;
        }
        stream_set_blocking($sock, false);
        stream_set_read_buffer($sock, 0);
        $c->sock = $sock;
        $c->connecting = true;
        $c->out = $this->request;
    }

    /* Write what the socket takes now; the rest waits for it to be writable. */
    public function write($c, $bytes)
    {
        $written = @fwrite($c->sock, $bytes);
        if ($written === false) {
            $error = error_get_last();
            /* "fwrite(): Send of 84 bytes failed with errno=111 Connection refused" → "Connection refused" */
            $why = $error === null ? 'write failed' : preg_replace('/^.*errno=\d+ /', '', $error['message']);
            if ($c->connecting) {
                $this->failed($c, 'connect', "cannot connect to {$this->address}: $why");
            } else {
                $this->failed($c, 'closed', "{$this->address}: $why");
            }
            return;
        }
        $c->connecting = false;
        $c->out = (string) substr($bytes, $written);
    }

    public function answered($c)
    {
        $this->requests++;
        $code = $c->status;
        $this->statuses[$code] = isset($this->statuses[$code]) ? $this->statuses[$code] + 1 : 1;
        $bucket = latency_bucket(now_us() - $c->due);
        $this->latency[$bucket] = isset($this->latency[$bucket]) ? $this->latency[$bucket] + 1 : 1;
        if (!$c->keep) {
            $this->close($c);
        }
        $this->next($c);
    }

    public function failed($c, $kind, $message)
    {
        $this->requests++;
        $this->errors[$kind]++;
        if ($this->firstError === null) {
            $this->firstError = $message;
        }
        $this->close($c);
        $this->ready[] = $c;
    }

    private function close($c)
    {
        if ($c->sock !== null) {
            @fclose($c->sock);
        }
        $c->sock = null;
        $c->connecting = false;
    }

    private function drop($c)
    {
        $this->close($c);
        if ($c->busy) {
            $c->busy = false;
            $this->busy--;
        }
    }
}

/* A script read from stdin gets no STDOUT/STDERR constants. */
$stdout = fopen('php://stdout', 'w');
$stderr = fopen('php://stderr', 'w');

function say($line)
{
    global $stdout;
    if (@fwrite($stdout, "$line\n") !== strlen($line) + 1) {
        /* Nobody reads any more: fpmfix went away. */
        exit(3);
    }
}

if ($argc !== 9) {
    fwrite($stderr, "usage: php -n -- DIAL-HOST PORT PATH HOST-HEADER CONCURRENCY REQUESTS DURATION-MS TIMEOUT-MS\n");
    exit(64);
}
$dialHost = $argv[1];
$port = (int) $argv[2];
$path = $argv[3];
$hostHeader = $argv[4];
$concurrency = (int) $argv[5];
$maxRequests = (int) $argv[6];
$durationUs = (int) $argv[7] * 1000;
$timeoutUs = (int) $argv[8] * 1000;
if ($port < 1 || $port > 65535 || $concurrency < 1 || $timeoutUs < 1 || ($maxRequests < 1 && $durationUs < 1)) {
    fwrite($stderr, "http-load: bad arguments: " . implode(' ', array_slice($argv, 1)) . "\n");
    exit(64);
}

$address = 'tcp://' . (strpos($dialHost, ':') !== false ? "[$dialHost]" : $dialHost) . ":$port";
$request = "GET $path HTTP/1.1\r\nHost: $hostHeader\r\nUser-Agent: fpmfix-verify\r\nAccept: */*\r\n\r\n";
$start = now_us();
$run = new Run($address, $request, $maxRequests, $durationUs > 0 ? $start + $durationUs : PHP_INT_MAX);
$conns = array();
for ($i = 0; $i < $concurrency; $i++) {
    $conns[$i] = new Conn();
}

say('fpmfix-load 1');
foreach ($conns as $c) {
    $run->next($c);
}
$nextTick = $start + TICK_US;
$nextProgress = $start + 1000000;
while ($run->busy > 0) {
    $ready = $run->ready;
    $run->ready = array();
    foreach ($ready as $c) {
        $run->next($c);
    }
    $read = array();
    $write = array();
    foreach ($conns as $i => $c) {
        if ($c->sock === null) {
            continue;
        }
        if ($c->connecting || $c->out !== '') {
            $write[$i] = $c->sock;
        } else {
            $read[$i] = $c->sock;
        }
    }
    $except = null;
    if (($read || $write) && @stream_select($read, $write, $except, 0, TICK_US) === false) {
        /* Interrupted by a signal: look again. */
        continue;
    }
    foreach ($write as $i => $sock) {
        $c = $conns[$i];
        if ($c->sock === $sock) {
            $run->write($c, $c->out);
        }
    }
    foreach ($read as $i => $sock) {
        $c = $conns[$i];
        if ($c->sock !== $sock || !$c->busy) {
            continue;
        }
        $chunk = fread($sock, 65536);
        if ($chunk === false || $chunk === '') {
            if (!feof($sock)) {
                continue;
            }
            if ($c->state === S_UNTIL_CLOSE) {
                $run->answered($c);
            } else {
                $why = $c->started ? 'in the middle of a response' : 'before any response';
                $run->failed($c, 'closed', "$address: connection closed $why");
            }
            continue;
        }
        $c->started = true;
        $c->in .= $chunk;
        $step = $c->feed();
        if ($step === 1) {
            $run->answered($c);
        } elseif (is_string($step)) {
            $run->failed($c, 'protocol', $step);
        }
    }
    $now = now_us();
    if ($now >= $nextTick) {
        $nextTick = $now + TICK_US;
        foreach ($conns as $c) {
            if ($c->busy && $now - $c->due >= $timeoutUs) {
                $run->failed($c, 'timeout', 'no complete answer within ' . (int) ($timeoutUs / 1000) . ' ms');
            }
        }
        if ($now >= $nextProgress) {
            $nextProgress = $now + 1000000;
            say("progress {$run->requests}");
        }
    }
}

foreach ($run->statuses as $code => $count) {
    say("status $code $count");
}
foreach ($run->errors as $kind => $count) {
    if ($count > 0) {
        say("error $kind $count");
    }
}
if ($run->firstError !== null) {
    say('first-error ' . str_replace(array("\r", "\n"), ' ', $run->firstError));
}
ksort($run->latency);
foreach ($run->latency as $bucket => $count) {
    say("latency $bucket $count");
}
say("end {$run->requests} " . (now_us() - $start));
