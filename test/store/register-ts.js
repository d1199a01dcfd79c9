// Lets a child process `require` the TypeScript sources without a build or ts-node:
// each .ts file is transpiled (types erased, no type check) as it is loaded. Output is
// cached in the temp dir by content hash, so repeated children (the crash tests start
// a dozen) skip loading the compiler at all.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync, renameSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const CACHE = join(tmpdir(), 'parley-register-ts-cache');
const OPTIONS = {
  module: 'CommonJS',
  target: 'ES2022',
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
};

function transpile(source, filename) {
  const key = createHash('sha256').update(JSON.stringify(OPTIONS)).update(filename).update(source).digest('hex');
  const cached = join(CACHE, `${key}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    const ts = require('typescript');
    const { outputText } = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: ts.convertCompilerOptionsFromJson(OPTIONS, '').options,
    });
    mkdirSync(CACHE, { recursive: true });
    const partial = `${cached}.${process.pid}`;
    writeFileSync(partial, outputText);
    renameSync(partial, cached); // atomic: a concurrent child never reads half a file
    return outputText;
  }
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(readFileSync(filename, 'utf8'), filename), filename);
};
