# A scripted editor for `cilint server` over standard input and output: initialize, open the first
# HTTPRoute file of the tree, then 20 full-text changes 200 ms apart (as typing), alternately
# breaking and restoring its YAML; prints the didChange -> publishDiagnostics median and the
# server's VmHWM/VmRSS against the tree's YAML, and its RssAnon/RssFile (RssFile: the binary's
# code pages, the same for any workspace) (BENCHMARKS.md, "In the editor").
# usage: python3 benches/stdio_client.py TREE target/release/cilint [FILE, else the first HTTPRoute]
import json, subprocess, sys, time, os, glob, statistics, urllib.parse
root = os.path.realpath(sys.argv[1]); binary = sys.argv[2]
files = sorted(p for p in glob.glob(root + '/**/*.yaml', recursive=True))
route = os.path.realpath(sys.argv[3]) if len(sys.argv) > 3 else next(p for p in files if 'kind: HTTPRoute' in open(p).read())
p = subprocess.Popen([binary, 'server'], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def send(msg):
    b = json.dumps(msg).encode(); p.stdin.write(b'Content-Length: %d\r\n\r\n' % len(b) + b); p.stdin.flush()
def recv():
    n = None
    while True:
        line = p.stdout.readline()
        if line in (b'\r\n', b'\n'): break
        if line.lower().startswith(b'content-length'): n = int(line.split(b':')[1])
    return json.loads(p.stdout.read(n))
def wait(pred):
    while True:
        m = recv()
        if pred(m): return m
uri = 'file://' + route
send({'jsonrpc':'2.0','id':1,'method':'initialize','params':{'processId':None,'rootUri':'file://'+root,'capabilities':{}}})
wait(lambda m: m.get('id') == 1)
send({'jsonrpc':'2.0','method':'initialized','params':{}})
text = open(route).read()
send({'jsonrpc':'2.0','method':'textDocument/didOpen','params':{'textDocument':{'uri':uri,'languageId':'yaml','version':1,'text':text}}})
time.sleep(3)
broken = text + '\n  bad: [\n'
times = []
for i in range(20):
    # drain anything pending
    t = broken if i % 2 == 0 else text
    start = time.perf_counter()
    send({'jsonrpc':'2.0','method':'textDocument/didChange','params':{'textDocument':{'uri':uri,'version':i+2},'contentChanges':[{'text':t}]}})
    broken_now = i % 2 == 0
    # The server percent-encodes what a URI cannot hold (`+` among them).
    wait(lambda m: m.get('method') == 'textDocument/publishDiagnostics' and urllib.parse.unquote(m['params']['uri']) == uri
         and any(d.get('code') == 'yaml-syntax' for d in m['params']['diagnostics']) == broken_now)
    times.append((time.perf_counter() - start) * 1000)
    time.sleep(0.2)
status = open('/proc/%d/status' % p.pid).read()
hwm = [l for l in status.splitlines() if l.startswith(('VmHWM', 'VmRSS', 'RssAnon', 'RssFile'))]
yaml_bytes = sum(os.path.getsize(f) for f in glob.glob(root + '/**/*.y*ml', recursive=True))
print('median ms %.1f min %.1f max %.1f' % (statistics.median(times), min(times), max(times)))
print(hwm, 'yaml MiB %.1f' % (yaml_bytes / 2**20))
send({'jsonrpc':'2.0','id':9,'method':'shutdown'}); wait(lambda m: m.get('id') == 9)
send({'jsonrpc':'2.0','method':'exit'}); p.wait(timeout=10)
