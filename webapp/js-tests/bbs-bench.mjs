// Proving and verifying times of the browser's BBS code under Node (same code the
// page loads): 10 attributes, 2 disclosed, BLS12-381-SHA-256; the same with a
// pseudonym; with a pseudonym and one date predicate; beside the floors measured
// in the same run (one G1 multiplication with noble's constant-time multiply,
// hash_to_curve_g1, a 2-pair pairing check). Medians of RUNS runs after a warm-up
// (generators are memoised per page: the first proof also hashes them, shown apart).
//
//   node webapp/js-tests/bbs-bench.mjs [runs]

import { commitWithNym, blindSignWithNym, verifyFinalizeWithNym, proofGenWithNym, proofVerifyWithNym, pseudonymApiId } from '../static/js/bbs/pseudonym.js';
import { keygen, proofGen, proofVerify, sign, skToPk } from '../static/js/bbs/interface.js';
import { prepare, present, presentationToBytes, verifyPresentation, blindSignAttributes, attributeScalars } from '../static/js/bbs/predicates.js';
import { G1, G2, SHA_256, apiId, prepareGenerators, calculateRandomScalars, hashToCurveG1, pairingCheck, utf8 } from '../static/js/bbs/suite.js';

const RUNS = Number(process.argv[2] || 9);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn, runs = RUNS) {
  fn();
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

const suite = SHA_256;
const rows = [];
const row = (name, ms, note = '') => rows.push([name, ms.toFixed(1), note]);

// floors
const [k] = calculateRandomScalars(1);
const R = hashToCurveG1(suite, utf8('floor'), utf8('DST'));
row('floor: G1 multiply (constant-time)', time(() => R.multiply(k)));
row('floor: hash_to_curve_g1', time(() => hashToCurveG1(suite, utf8(String(Math.random())), utf8('DST'))));
const P = G1.BASE.multiply(k);
const Q = G2.BASE.multiply(k);
row('floor: pairing check, 2 pairs', time(() => pairingCheck([[P, Q], [P.negate(), Q]])));

// core proof, 10 messages, 2 disclosed
const sk = keygen(suite, new Uint8Array(32).fill(9));
const pk = skToPk(sk);
const msgs = Array.from({ length: 10 }, (_, i) => utf8(`attribute ${i}`));
const header = utf8('pnyx/credential/v1');
const ph = utf8('pnyx/presentation/v1 nonce');
let t0 = performance.now();
const sig = sign(suite, sk, pk, header, msgs);
row('first Sign of the page (incl. 11 generators)', performance.now() - t0);
t0 = performance.now();
const first = proofGen(suite, pk, sig, header, ph, msgs, [2, 5]);
row('first ProofGen of the page (tables built)', performance.now() - t0);
row('ProofGen, 10 attributes, 2 disclosed', time(() => proofGen(suite, pk, sig, header, ph, msgs, [2, 5])));
prepareGenerators(suite, 11, apiId(suite));
row('ProofGen, same, generators prepared', time(() => proofGen(suite, pk, sig, header, ph, msgs, [2, 5])));
row('ProofVerify, same', time(() => proofVerify(suite, pk, first, header, ph, [msgs[2], msgs[5]], [2, 5])));

// pseudonym credential: 10 signer messages + blind + 1 nym secret
const api = pseudonymApiId(suite);
const [proverNym, entropy] = calculateRandomScalars(2);
const { commitmentWithProof, secretProverBlind } = commitWithNym(suite, [], [proverNym]);
const attrs = [utf8('Ada'), utf8('Lovelace'), 11_300n, 7n, utf8('GB'), 1n, utf8('x'), utf8('y'), 20_400n, 20_430n];
const nsig = blindSignAttributes(suite, sk, pk, commitmentWithProof, 1, entropy, header, attrs);
const secrets = verifyFinalizeWithNym(suite, pk, nsig, header, attributeScalars(suite, attrs, api), [], [proverNym], entropy, secretProverBlind);
row('Commit with nym (holder, issuance request)', time(() => commitWithNym(suite, [], [proverNym])));
row('VerifyFinalizeWithNym (holder, on receipt)', time(() => verifyFinalizeWithNym(suite, pk, nsig, header, attributeScalars(suite, attrs, api), [], [proverNym], entropy, secretProverBlind)));
const ctx = utf8('election-2026');
const nym = { contextId: ctx, nymSecrets: secrets, secretProverBlind };
row('present: 10 attributes, 2 disclosed + pseudonym', time(() => present(suite, pk, nsig, header, ph, attrs, [3, 4], { nym })));
const pn = present(suite, pk, nsig, header, ph, attrs, [3, 4], { nym });
const disclosed = new Map([[3, 7n], [4, utf8('GB')]]);
prepare(suite, 10, { nymLength: 1 });
row('present, same, generators prepared', time(() => present(suite, pk, nsig, header, ph, attrs, [3, 4], { nym })));
row('verify, same', time(() => verifyPresentation(suite, pk, presentationToBytes(pn), header, ph, disclosed, { contextId: ctx })));
const preds = new Map([[2, [-719_162n, 13_000n]], [9, [20_410n, 20_440n]]]);
row('present: + 2 predicates (birth date, validUntil)', time(() => present(suite, pk, nsig, header, ph, attrs, [3, 4], { nym, predicates: preds }), 5));
const pp = present(suite, pk, nsig, header, ph, attrs, [3, 4], { nym, predicates: preds });
row('verify, same', time(() => verifyPresentation(suite, pk, presentationToBytes(pp), header, ph, disclosed, { contextId: ctx, predicates: preds }), 5));

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`BBS in Node ${process.version} (noble), ${suite.name}, median of ${RUNS} runs`);
for (const [name, ms, note] of rows) console.log(`${name.padEnd(w)}  ${ms.padStart(8)} ms ${note}`);
