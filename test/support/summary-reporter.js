// Ends the run with one plain line, `tests: N passed, N failed, N skipped`, that CI reads.
// Written at process exit so it comes after jest's own summary. A suite that fails outside
// any test (it does not load, or a beforeAll/afterAll check fails) counts as one failure:
// jest's own test counts leave it out.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    const brokenSuites = results.testResults.filter((s) => s.numFailingTests === 0 && (s.testExecError || s.failureMessage)).length;
    const failed = numFailedTests + brokenSuites;
    const detail = brokenSuites ? ` (${brokenSuites} of them suites that failed outside their tests)` : '';
    const line = `tests: ${numPassedTests} passed, ${failed} failed${detail}, ${numPendingTests + numTodoTests} skipped\n`;
    process.once('exit', () => process.stderr.write(line));
  }
}
module.exports = SummaryReporter;
