// Behaviour OPA has and the shared conformance cases do not cover, as
// conformance-style cases of our own (test/rego/cases/opa-behaviour.json,
// same format as ../shared/conformance; expected values worked out from
// OPA's sources): time.diff across zones, graph.reachable_paths through
// nodes missing from the graph, object unification pairing values by equal
// key terms, numbers beyond float64 in sprintf, and the error texts of
// units.parse_bytes, graphql.parse_schema, io.jwt.encode_sign_raw and
// crypto.x509.parse_certificate_request.
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../src/rego/conformance/cases.js';
import { runCase } from '../../src/rego/conformance/run.js';

const CASES = new URL('./cases/opa-behaviour.json', import.meta.url).pathname;

describe('OPA behaviour beyond the shared cases', () => {
  for (const c of loadCases(CASES)) {
    it(c.note, async () => {
      expect(await runCase(c)).toEqual({ pass: true });
    });
  }
});
