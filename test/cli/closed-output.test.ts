/** A reader of parley's output that goes away (`parley … | head -1`): the command ends quietly, no stack trace. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { reference } from '../support/vectors';

const ROOT = join(__dirname, '..', '..');

describe('parley writing to a closed pipe', () => {
  it('given the reader of standard output gone before it writes, then it exits 141, as after SIGPIPE, with nothing on standard error', async () => {
    const log = reference.logPath(reference.validLog);
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'parley'), 'audit', '--file', log, '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before the command starts
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect({ code, stderr }).toEqual({ code: 141, stderr: '' });
  });
});
