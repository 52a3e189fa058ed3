// Proving and verifying times of the browser's BBS code under Node (the same
// modules the page loads), BLS12-381-SHA-256: 10 attributes, 2 disclosed; the
// same with a pseudonym; with a pseudonym and the identity layer's two date
// predicates (birthDate, validUntil: one aggregated range proof, n = 32); each
// beside the floors measured in the same run (a constant-time G1 multiplication
// by a variable base, hash_to_curve_g1, a 2-pair pairing check) and as a
// multiple of the first. Medians of RUNS runs after a warm-up.
//
// Generators are memoised per page: "create_generators" is what the first
// operation of a fresh page adds. "prepared" rows follow prepare() (predicates.js),
// which a wallet runs while the page is idle (its cost is printed).
//
//   node webapp/js-tests/bbs-bench.mjs [runs]

import { keygen, proofGen, proofVerify, sign, skToPk } from '../static/js/bbs/interface.js';
import {
  attributeScalars,
  blindSignAttributes,
  prepare,
  present,
  presentationToBytes,
  verifyPresentation,
} from '../static/js/bbs/predicates.js';
import { commitWithNym, pseudonymApiId, verifyFinalizeWithNym } from '../static/js/bbs/pseudonym.js';
import {
  G2,
  SHA_256,
  apiId,
  calculateRandomScalars,
  createGenerators,
  hashToCurveG1,
  pairingCheck,
  prepareGenerators,
  utf8,
} from '../static/js/bbs/suite.js';

const RUNS = Number(process.argv[2] || 7);

// [best, median] of `runs` timed runs after one warm-up (these machines are shared:
// the best is the figure least disturbed by other load).
function time(fn, runs = RUNS) {
  fn();
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  out.sort((a, b) => a - b);
  return [out[0], out[Math.floor(out.length / 2)]];
}

function once(fn) {
  const t = performance.now();
  fn();
  const ms = performance.now() - t;
  return [ms, ms];
}

const suite = SHA_256;
const rows = [];
let floor = 1;
const row = (name, ms) => rows.push([name, ms]);

// floors
const [k] = calculateRandomScalars(1);
const R = hashToCurveG1(suite, utf8('floor'), utf8('DST'));
const floorTimes = time(() => R.multiply(k), 15);
floor = floorTimes[0];
row('floor: G1 multiplication, variable base (constant-time)', floorTimes);
let salt = 0;
row('floor: hash_to_curve_g1', time(() => hashToCurveG1(suite, utf8(`m${salt++}`), utf8('DST'))));
const P = R.multiply(k);
const Q = G2.BASE.multiply(k);
row('floor: pairing check, 2 pairs', time(() => pairingCheck([[P, Q], [P.negate(), Q]])));

// core interface: 10 messages, 2 disclosed
const sk = keygen(suite, new Uint8Array(32).fill(9));
const pk = skToPk(sk);
const msgs = Array.from({ length: 10 }, (_, i) => utf8(`attribute ${i}`));
const header = utf8('pnyx/credential/v1');
const ph = utf8('pnyx/presentation/v1 nonce');
row('create_generators(11), once per page', once(() => createGenerators(suite, 11, apiId(suite))));
const sig = sign(suite, sk, pk, header, msgs);
row('ProofGen, 10 attributes, 2 disclosed', time(() => proofGen(suite, pk, sig, header, ph, msgs, [2, 5])));
const proof = proofGen(suite, pk, sig, header, ph, msgs, [2, 5]);
row('ProofVerify, same', time(() => proofVerify(suite, pk, proof, header, ph, [msgs[2], msgs[5]], [2, 5])));

// pseudonym credential (docs/credentials.md §2): 10 signer messages, blind, 1 nym secret
const api = pseudonymApiId(suite);
const [proverNym, entropy] = calculateRandomScalars(2);
row('CommitWithNym (issuance request)', time(() => commitWithNym(suite, [], [proverNym])));
const { commitmentWithProof, secretProverBlind } = commitWithNym(suite, [], [proverNym]);
const attrs = [utf8('Ada'), utf8('Lovelace'), 11_300n, 7n, utf8('GB'), 1n, utf8('x'), utf8('y'), 20_400n, 20_430n];
const nsig = blindSignAttributes(suite, sk, pk, commitmentWithProof, 1, entropy, header, attrs);
const scalars = attributeScalars(suite, attrs, api);
row('VerifyFinalizeWithNym (on receipt)', time(() => verifyFinalizeWithNym(suite, pk, nsig, header, scalars, [], [proverNym], entropy, secretProverBlind)));
const secrets = verifyFinalizeWithNym(suite, pk, nsig, header, scalars, [], [proverNym], entropy, secretProverBlind);
const ctx = utf8('election-2026');
const nym = { contextId: ctx, nymSecrets: secrets, secretProverBlind };
const disclosed = new Map([
  [3, 7n],
  [4, utf8('GB')],
]);
const preds = new Map([
  [2, [-719_162n, 13_000n]],
  [9, [20_410n, 20_440n]],
]);
const withNym = () => present(suite, pk, nsig, header, ph, attrs, [3, 4], { nym });
const withPreds = () => present(suite, pk, nsig, header, ph, attrs, [3, 4], { nym, predicates: preds });
row('present: 10 attributes, 2 disclosed, pseudonym', time(withNym));
row('present: same + 2 date predicates (range proof, n = 32)', time(withPreds, Math.min(RUNS, 5)));
row('prepare(): generator tables, once per page, idle time', once(() => prepare(suite, 10, { nymLength: 1 })));
prepareGenerators(suite, 11, apiId(suite));
row('ProofGen, 10 attributes, 2 disclosed, prepared', time(() => proofGen(suite, pk, sig, header, ph, msgs, [2, 5])));
row('present: pseudonym, prepared', time(withNym));
row('present: pseudonym + 2 predicates, prepared', time(withPreds, Math.min(RUNS, 5)));
const pn = presentationToBytes(withNym());
row('verify: pseudonym', time(() => verifyPresentation(suite, pk, pn, header, ph, disclosed, { contextId: ctx })));
const pp = presentationToBytes(withPreds());
row('verify: pseudonym + 2 predicates', time(() => verifyPresentation(suite, pk, pp, header, ph, disclosed, { contextId: ctx, predicates: preds }), Math.min(RUNS, 5)));

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`BBS in the page's code under Node ${process.version} (@noble/curves), ${suite.name}, ${RUNS} runs`);
console.log(`${'operation'.padEnd(w)}  ${'best ms'.padStart(8)}  ${'median'.padStart(8)}  ${'best / floor mult'.padStart(17)}`);
for (const [name, [best, median]] of rows) {
  const cells = [best.toFixed(1).padStart(8), median.toFixed(1).padStart(8), (best / floor).toFixed(1).padStart(17)];
  console.log(`${name.padEnd(w)}  ${cells.join('  ')}`);
}
