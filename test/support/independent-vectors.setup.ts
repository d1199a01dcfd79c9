// The `vectors-independent` project runs the vector suites over the committed second set
// (test/vectors/independent-set), whatever PARLEY_VECTORS_DIR says for the `vectors` project.
import { resolve } from 'node:path';

process.env.PARLEY_VECTORS_DIR = resolve(__dirname, '../vectors/independent-set');
