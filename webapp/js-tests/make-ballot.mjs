/**
 * The booth's ballot functions from the command line, for the Python cross-checks
 * (tests/webapp/test_js_ballot.py). Reads one JSON request on stdin, writes one
 * JSON answer on stdout; exit 1 with one line on stderr on a bad request.
 *
 *   {"command": "make", "manifest", "context", "joint_key",
 *    "ballots": [{"selections": [[0/1...]...] | {contest: [names]},
 *                 "roll_key": "<64 hex Ed25519 seed>" | "voter": "<hex>",
 *                 "stream": "<label>" (optional: the test vectors' SHAKE-256 stream
 *                                      instead of WebCrypto randomness)}]}
 *     → {"ballots": [{"body": {ballot[, eligibility]}, "ballot_hash", "tracker",
 *                     "nonces", "selections", "challenge": <voting.challenge body>,
 *                     "ms": encrypt+prove time}]}
 *   {"command": "verify", "manifest", "context", "joint_key", "ballots": [body...],
 *    "challenges": [body...]}
 *     → {"ballots": [{"ok": true, "hash"} | {"ok": false, "code", "error"}],
 *        "challenges": [{"ok": true, "opened": [...]} | {"ok": false, "code", "error"}]}
 *   {"command": "header", "manifest", "hash": "<64 hex>"}
 *     → {"request", "header": "<hex>"}
 */

import { stream } from './ballot-kit.js';
import { fromHex, toHex } from '../static/js/ballot/bytes.js';
import {
  challengeBody,
  decryptChallenge,
  jointKeyPoint,
  makeBallot,
  presentationHeader,
  presentationRequest,
  rollVoterOf,
  signRoll,
  verifyBallot,
} from '../static/js/ballot/booth.js';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function outcome(fn) {
  try {
    return { ok: true, ...fn() };
  } catch (e) {
    return { ok: false, code: e.code ?? e.name, error: e.message };
  }
}

function make(req) {
  const key = jointKeyPoint(req.joint_key);
  return {
    ballots: req.ballots.map((spec) => {
      const voter = spec.roll_key !== undefined ? rollVoterOf(spec.roll_key) : spec.voter;
      const rng = spec.stream !== undefined ? stream(spec.stream) : undefined;
      const start = performance.now();
      const made = makeBallot(req.manifest, req.context, key, spec.selections, { voter, ...(rng && { rng }) });
      const ms = performance.now() - start;
      const body = spec.roll_key !== undefined ? signRoll(made.body, spec.roll_key) : { ballot: made.body };
      return {
        body,
        ballot_hash: made.ballotHash,
        tracker: made.tracker,
        nonces: made.nonces,
        selections: made.selections,
        challenge: challengeBody(made),
        ms,
      };
    }),
  };
}

function verify(req) {
  const key = jointKeyPoint(req.joint_key);
  return {
    ballots: (req.ballots ?? []).map((body) =>
      outcome(() => ({ hash: verifyBallot(body, req.manifest, req.context, key) })),
    ),
    challenges: (req.challenges ?? []).map((body) =>
      outcome(() => ({ opened: decryptChallenge(body, req.manifest, key) })),
    ),
  };
}

function header(req) {
  const request = presentationRequest(req.manifest, fromHex(req.hash, 32));
  return { request, header: toHex(presentationHeader(request)) };
}

const COMMANDS = { make, verify, header };

try {
  const req = await readStdin();
  const command = COMMANDS[req.command];
  if (command === undefined) throw new Error(`unknown command ${JSON.stringify(req.command)}`);
  process.stdout.write(JSON.stringify(command(req)) + '\n');
} catch (e) {
  process.stderr.write(`make-ballot: ${e.name}: ${e.message}\n`);
  process.exitCode = 1;
}
