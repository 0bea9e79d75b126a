"""Re-runs every `$ command` console block of README.md and replaces its output with what the
command prints now (release build on PATH). Usage: python3 scripts/readme_outputs.py [SKIP...]
where each SKIP is a substring of commands to leave alone."""
import os, re, subprocess, sys
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
env = dict(os.environ, PATH=f"{repo}/target/release:" + os.environ['PATH'], COLUMNS='120')
text = open(f'{repo}/README.md', encoding='utf-8').read()
skip = set(sys.argv[1:])  # substrings of commands to leave alone
def run(cmd):
    r = subprocess.run(['bash', '-c', cmd + ' 2>&1'], cwd=repo, env=env, capture_output=True, text=True)
    return r.stdout
def replace(m):
    block = m.group(1)
    lines = block.split('\n')
    cmd = lines[0][2:]
    if any(s in cmd for s in skip):
        return m.group(0)
    out = run(cmd)
    return '```console\n$ ' + cmd + '\n' + out.rstrip('\n') + '\n```'
# The output part is optional and lazy, so a block with no output yet ends at its own fence.
new = re.sub(r'```console\n(\$ [^\n]*\n(?:.*?\n)??)```', replace, text, flags=re.S)
open(f'{repo}/README.md', 'w', encoding='utf-8').write(new)
