import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportMarkdown } from './report.js';
import { parseTap } from './suites.js';

// Node's TAP reporter, as it writes a failed assertion with a multi-line message, a one-line
// error, a passing case, and a suite whose before hook failed.
const TAP = `TAP version 13
# Subtest: delivery survives SIGKILL
    # Subtest: delivers all 12 messages at least once
    not ok 1 - delivers all 12 messages at least once
      ---
      duration_ms: 6.29
      location: '/w/dist/test/delivery-crash.test.js:4:3'
      failureType: 'testCodeFailure'
      error: |-
        crash-3 arrived 3 times: at most once before the kill and once after
        sink: crash-3×3; it's "quoted"
      code: 'ERR_ASSERTION'
      expected:
        error: 'not the reason'
      actual: false
      stack: |-
        TestContext.<anonymous> (file:///w/dist/test/delivery-crash.test.js:4:30)
      ...
    # Subtest: thrown
    not ok 2 - thrown
      ---
      duration_ms: 19.5
      failureType: 'testTimeoutFailure'
      error: 'test timed out after 50ms, isn''t it'
      code: 'ERR_TEST_FAILURE'
      ...
    # Subtest: fine
    ok 3 - fine
      ---
      duration_ms: 0.37
      ...
    1..3
not ok 1 - delivery survives SIGKILL
  ---
  duration_ms: 116.3
  type: 'suite'
  failureType: 'subtestsFailed'
  error: '2 subtests failed'
  ...
# Subtest: hooked
    # Subtest: case a
    not ok 1 - case a
      ---
      duration_ms: 0
      failureType: 'cancelledByParent'
      error: 'test did not finish before its parent and was cancelled'
      ...
    1..1
not ok 2 - hooked
  ---
  duration_ms: 2.69
  type: 'suite'
  failureType: 'hookFailed'
  error: 'setup failed: smtp-sink did not listen'
  stack: |-
    SuiteContext.<anonymous> (file:///w/h.mjs:3:24)
  ...
1..2
`;

describe('the report says why a case failed', () => {
  it("reads each failed case's reason from its TAP block, and a suite's own failure as a case", () => {
    const cases = parseTap(TAP);
    assert.deepEqual(
      cases.map((c) => [c.name, c.passed]),
      [
        ['delivers all 12 messages at least once', false],
        ['thrown', false],
        ['fine', true],
        ['case a', false],
        ['hooked (suite)', false],
      ],
    );
    assert.equal(cases[0].reason, 'crash-3 arrived 3 times: at most once before the kill and once after\nsink: crash-3×3; it\'s "quoted" (test/delivery-crash.test.js:4:3)');
    assert.equal(cases[1].reason, "testTimeoutFailure: test timed out after 50ms, isn't it");
    assert.equal(cases[2].reason, undefined);
    assert.equal(cases[3].reason, 'cancelledByParent: test did not finish before its parent and was cancelled');
    assert.equal(cases[4].reason, 'hookFailed: setup failed: smtp-sink did not listen');
  });

  it('puts every failure with its reason in the report, outside the folded list of cases', () => {
    const cases = parseTap(TAP);
    const md = reportMarkdown({
      torture: {
        kills: [],
        issued: 0,
        sent: 0,
        acknowledged: 1,
        refused: 0,
        unanswered: 0,
        lost: [],
        duplicates: 0,
        unansweredArrived: 0,
        phantom: [],
        reportedNotArrived: [],
        arrivals: 0,
        setbacks: {},
        drained: true,
        leftInQueue: [],
        elapsedMs: 0,
        edgeErrors: [],
      },
      options: { cycles: 1, messages: 10, sessions: 1, durationMs: 1000, seed: 1 },
      suites: [{ title: 'Crash safety (CI versions)', files: ['test/delivery-crash.test.js'], cases, passed: 1, failed: 4, skipped: 0, figures: [] }],
    });
    const failures = md.slice(md.indexOf('Failed (4):'), md.indexOf('<details>', md.indexOf('Failed (4):')));
    assert.match(failures, /- \*\*FAIL\*\*: delivers all 12 messages at least once\n\n {2}```text\n {2}crash-3 arrived 3 times: at most once before the kill and once after\n {2}sink: crash-3×3/);
    assert.match(failures, /- \*\*FAIL\*\*: hooked \(suite\)\n\n {2}```text\n {2}hookFailed: setup failed: smtp-sink did not listen\n {2}```/);
    assert.doesNotMatch(failures, /fine/);
  });
});
