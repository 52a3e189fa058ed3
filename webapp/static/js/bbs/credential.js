// The holder's side of Pnyx credentials in the page (docs/credentials.md
// "Formats" §2, §4–§7), as services/identity/{credential,issuance,presentation}.py:
//
//   makeCredentialRequest(key, schema)            §4 request: CommitWithNym([], [prover_nym])
//   acceptIssuance(key, schema, request, secrets, issued)
//                                                 §4 the holder's check: VerifyFinalizeWithNym
//   presentCredential(key, schema, record, request, options?)
//                                                 §7 the W3C presentation answering a request
//
// `key` is an issuer key as the board publishes it ({key_id, issuer, ciphersuite,
// public_key}); `schema` a schema's board record ({issuer, id, title, attributes,
// revocation, max_validity_days}, any `digest` is checked against ours); a wallet
// `record` is {credential, secrets: {nymSecret, proverBlind}} (hex scalars), the
// request's secrets {proverNym, proverBlind}. The secrets never leave this
// module's callers: nothing here sends anything anywhere.
//
// The BBS layer: a credential is one signature of the pseudonym interface over
// the schema's attributes, validFrom, validUntil (and statusListCredential,
// statusListIndex for status_list schemas), then secret_prover_blind and one
// nym secret; header "pnyx/credential/v1\n" || JCS({issuerKey, schema digest});
// a presentation's ph is "pnyx/presentation/v1\n" || JCS(request) and it proves
// the requested predicates and validUntil ≥ request.date (predicates.js).
//
// JSON numbers: integer attribute values and predicate bounds must be safe
// integers here (|v| ≤ 2^53 − 1, what JSON.parse gives exactly); a larger one is
// refused (PresentationError), never rounded.

import canonicalize from 'canonicalize';
import { sha256 } from '@noble/hashes/sha2.js';

import { attributeScalars, present, presentationToBytes } from './predicates.js';
import { calculatePseudonym, commitWithNym, pseudonymApiId, verifyFinalizeWithNym } from './pseudonym.js';
import {
  BBSError,
  ORDER,
  concat,
  fromHex,
  randomNonzeroScalar,
  scalarToBytes,
  suiteByName,
  toHex,
  utf8,
} from './suite.js';

export const VC_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
export const PNYX_CONTEXT = 'https://pnyx.example/ns/credentials/v1';
export const CONTEXT = [VC_CONTEXT, PNYX_CONTEXT];
export const CREDENTIAL_TYPE = ['VerifiableCredential', 'PnyxCredential'];
export const PRESENTATION_TYPE = ['VerifiablePresentation'];
export const CRYPTOSUITE = 'pnyx-bbs-2026';
export const SCHEMA_TYPE = 'PnyxCredentialSchema';
export const REQUEST_TYPE = 'PnyxCredentialRequest';
export const ISSUANCE_TYPE = 'PnyxCredentialIssuance';
export const UNLINKED_PREFIX = 'pnyx/unlinked/';
const VALID_FROM = 'validFrom';
const VALID_UNTIL = 'validUntil';
const STATUS_LIST = 'statusListCredential';
const STATUS_INDEX = 'statusListIndex';
const SYSTEM_TYPES = { validFrom: 'date', validUntil: 'date', statusListCredential: 'string', statusListIndex: 'integer' };
const ENCODINGS = { string: 'utf8-hash', integer: 'int64-scalar', date: 'days-scalar', boolean: 'bool-scalar' };
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const HEX64 = /^[0-9a-f]{64}$/;

/** Why a credential cannot answer a request (the CLI's cannot_present), or a bad document. */
export class PresentationError extends Error {
  constructor(code, detail) {
    super(`${code}: ${detail}`);
    this.name = 'PresentationError';
    this.code = code;
    this.detail = detail;
  }
}

const cannot = (detail) => new PresentationError('cannot_present', detail);
const bad = (detail) => new PresentationError('malformed', detail);

/** RFC 8785 canonical JSON of a value, as UTF-8 bytes. */
export function jcs(value) {
  return utf8(canonicalize(value));
}

/** SHA-256 of bytes, lowercase hex. */
function sha256Hex(bytes) {
  return toHex(sha256(bytes));
}

// ------------------------------------------------------------ dates and values

/** Days since 1970-01-01 of a "YYYY-MM-DD" calendar date (negative before); PresentationError. */
export function dayNumber(text) {
  const m = typeof text === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) : null;
  if (!m) throw bad(`a date is YYYY-MM-DD, not ${JSON.stringify(text)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  if (y < 1 || t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) {
    throw bad(`${text} is not a calendar date`);
  }
  return Math.round(t.getTime() / 86_400_000);
}

/** "YYYY-MM-DD" of a day number. */
export function dateOfDay(n) {
  const t = new Date(n * 86_400_000);
  const y = String(t.getUTCFullYear()).padStart(4, '0');
  return `${y}-${String(t.getUTCMonth() + 1).padStart(2, '0')}-${String(t.getUTCDate()).padStart(2, '0')}`;
}

const DATE_MIN = dayNumber('0001-01-01');
const DATE_MAX = dayNumber('9999-12-31');

function safeInteger(v, what) {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw bad(`${what} must be an integer within ±(2^53 − 1) here`);
  }
  return BigInt(v);
}

/** The BBS message of a JSON value of `type` (docs §1.2): bytes or an integer attribute (bigint). */
export function encodeValue(type, value, name = 'attribute') {
  const what = `attribute ${JSON.stringify(name)} (${type})`;
  if (type === 'string') {
    if (typeof value !== 'string' || [...value].length > 1000) throw bad(`${what} must be a string of at most 1000 characters`);
    if (!value.isWellFormed()) throw bad(`${what} contains a lone surrogate`);
    return utf8(value);
  }
  if (type === 'integer') {
    const v = safeInteger(value, what);
    if (v < INT64_MIN || v > INT64_MAX) throw bad(`${what} must be a 64-bit integer`);
    return v;
  }
  if (type === 'date') return BigInt(dayNumber(value));
  if (type === 'boolean') {
    if (typeof value !== 'boolean') throw bad(`${what} must be true or false`);
    return value ? 1n : 0n;
  }
  throw bad(`unknown attribute type ${JSON.stringify(type)}`);
}

// ------------------------------------------------------------ schema and layout

/** The schema's body as published (the fields that enter its digest). */
function schemaBody(schema) {
  return {
    id: schema.id,
    title: schema.title,
    attributes: schema.attributes.map((a) => ({ name: a.name, type: a.type, encoding: a.encoding })),
    revocation: schema.revocation,
    max_validity_days: schema.max_validity_days,
  };
}

/** SHA-256("pnyx/schema/v1\n" || JCS({"issuer", ...body})), lowercase hex (docs §1.2). */
export function schemaDigest(schema) {
  return sha256Hex(concat(utf8('pnyx/schema/v1\n'), jcs({ issuer: schema.issuer, ...schemaBody(schema) })));
}

function checkSchema(schema) {
  if (!schema || typeof schema.issuer !== 'string' || !Array.isArray(schema.attributes)) {
    throw bad('a schema record has issuer, id, title, attributes, revocation, max_validity_days');
  }
  for (const a of schema.attributes) {
    if (ENCODINGS[a.type] !== a.encoding) throw bad(`attribute ${a.name}: bad type or encoding`);
  }
  const digest = schemaDigest(schema);
  if (schema.digest !== undefined && schema.digest !== digest) throw bad('the schema digest does not match its body');
  return digest;
}

/** The signed messages' names, in order (docs §2). */
export function layoutNames(schema) {
  const names = schema.attributes.map((a) => a.name);
  names.push(VALID_FROM, VALID_UNTIL);
  if (schema.revocation === 'status_list') names.push(STATUS_LIST, STATUS_INDEX);
  return names;
}

function attributeType(schema, name) {
  const a = schema.attributes.find((x) => x.name === name);
  if (a) return a.type;
  if (name in SYSTEM_TYPES && layoutNames(schema).includes(name)) return SYSTEM_TYPES[name];
  throw bad(`${JSON.stringify(name)} is not an attribute of this credential`);
}

/** The BBS header: "pnyx/credential/v1\n" || JCS({"issuerKey", "schema"}) (docs §2). */
export function credentialHeader(keyId, digest) {
  return concat(utf8('pnyx/credential/v1\n'), jcs({ issuerKey: keyId, schema: digest }));
}

/** ph of a presentation: "pnyx/presentation/v1\n" || JCS(request) (docs §6). */
export function presentationHeader(request) {
  return concat(utf8('pnyx/presentation/v1\n'), jcs(request));
}

const statusUrn = (issuer, list) => `urn:pnyx:status:${issuer}:${list}`;
const keyUrn = (keyId) => `urn:pnyx:issuer-key:${keyId}`;
const issuerUrn = (name) => `urn:pnyx:issuer:${name}`;
const schemaUrn = (issuer, id) => `urn:pnyx:schema:${issuer}:${id}`;

function dayOf(value, end, what) {
  const suffix = end ? 'T23:59:59Z' : 'T00:00:00Z';
  if (typeof value !== 'string' || !value.endsWith(suffix)) throw bad(`${what} must end with ${suffix}`);
  const day = value.slice(0, -suffix.length);
  dayNumber(day);
  return day;
}

/** { values (name ↦ JSON value), status, signature, keyId } of a credential JSON (shape checked). */
function parseCredential(doc) {
  if (!doc || typeof doc !== 'object') throw bad('a credential is a JSON object');
  const proof = doc.proof || {};
  const vm = String(proof.verificationMethod || '');
  if (!vm.startsWith('urn:pnyx:issuer-key:') || !HEX64.test(vm.slice(20))) throw bad('bad verificationMethod');
  const pv = proof.proofValue;
  if (typeof pv !== 'string' || !/^f(?:[0-9a-f]{2})+$/.test(pv)) throw bad('proofValue must be multibase base16');
  const subject = doc.credentialSubject;
  if (!subject || typeof subject !== 'object' || Array.isArray(subject)) throw bad('credentialSubject is an object');
  const values = { ...subject };
  values[VALID_FROM] = dayOf(doc.validFrom, false, 'validFrom');
  values[VALID_UNTIL] = dayOf(doc.validUntil, true, 'validUntil');
  let status = null;
  if (doc.credentialStatus !== undefined) {
    const s = doc.credentialStatus;
    const index = s && s.statusListIndex;
    if (typeof index !== 'string' || !/^(0|[1-9][0-9]{0,8})$/.test(index) || typeof s.statusListCredential !== 'string') {
      throw bad('bad credentialStatus');
    }
    status = { list: s.statusListCredential, index: Number(index), entry: s };
    values[STATUS_LIST] = s.statusListCredential;
    values[STATUS_INDEX] = Number(index);
  }
  return { values, status, signature: fromHex(pv.slice(1)), keyId: vm.slice(20), subject };
}

/** The credential's messages in layout order (bytes or bigint). */
export function credentialMessages(schema, credential) {
  const { values } = parseCredential(credential);
  return layoutNames(schema).map((n) => {
    if (!(n in values)) throw bad(`the credential lacks ${n}`);
    return encodeValue(attributeType(schema, n), values[n], n);
  });
}

// ------------------------------------------------------------ issuance (docs §4)

/**
 * The holder's request: a fresh nym secret committed with CommitWithNym([], [prover_nym]).
 * Returns { request (JSON), secrets: { proverNym, proverBlind } (hex, keep in the wallet) }.
 */
export function makeCredentialRequest(key, schema) {
  const digest = checkSchema(schema);
  const suite = suiteByName(key.ciphersuite);
  const proverNym = randomNonzeroScalar();
  const { commitmentWithProof, secretProverBlind } = commitWithNym(suite, [], [proverNym]);
  return {
    request: {
      version: 1,
      type: REQUEST_TYPE,
      issuer: key.issuer,
      issuerKey: key.key_id,
      schema: schema.id,
      schemaDigest: digest,
      commitment: toHex(commitmentWithProof),
    },
    secrets: { proverNym: toHex(scalarToBytes(proverNym)), proverBlind: toHex(scalarToBytes(secretProverBlind)) },
  };
}

/** A request's id: the first 16 hex digits of SHA-256(JCS(request)). */
export function requestId(request) {
  return sha256Hex(jcs(request)).slice(0, 16);
}

function hexScalar(value, what) {
  if (typeof value !== 'string' || !HEX64.test(value)) throw bad(`${what} is 64 lowercase hex digits`);
  const x = BigInt('0x' + value);
  if (!(x > 0n && x < ORDER)) throw bad(`${what} is not a scalar`);
  return x;
}

/**
 * Check an issued credential against the request and its secrets (VerifyFinalizeWithNym),
 * returning the wallet record { credential, secrets: { nymSecret, proverBlind } }.
 * PresentationError('malformed' | 'rejected') otherwise.
 */
export function acceptIssuance(key, schema, request, secrets, issued) {
  const digest = checkSchema(schema);
  if (!issued || issued.type !== ISSUANCE_TYPE || issued.version !== 1) throw bad(`not a ${ISSUANCE_TYPE}`);
  if (issued.request !== requestId(request)) throw new PresentationError('rejected', 'this credential answers another request');
  if (request.issuerKey !== key.key_id || request.schemaDigest !== digest) {
    throw new PresentationError('rejected', 'the request was for another key or schema');
  }
  const cred = issued.credential;
  const parsed = parseCredential(cred);
  if (
    parsed.keyId !== key.key_id ||
    cred.issuer !== issuerUrn(key.issuer) ||
    !cred.credentialSchema ||
    cred.credentialSchema.id !== schemaUrn(schema.issuer, schema.id) ||
    cred.credentialSchema.digest !== digest
  ) {
    throw new PresentationError('rejected', 'the credential is not for the issuer key and schema requested');
  }
  const names = schema.attributes.map((a) => a.name);
  if (Object.keys(parsed.subject).length !== names.length || names.some((n) => !(n in parsed.subject))) {
    throw bad('credentialSubject must have exactly the schema attributes');
  }
  if ((schema.revocation === 'status_list') !== (parsed.status !== null)) {
    throw bad('credentialStatus does not match the schema revocation');
  }
  const days = dayNumber(parsed.values[VALID_UNTIL]) - dayNumber(parsed.values[VALID_FROM]) + 1;
  if (days < 1 || days > schema.max_validity_days) {
    throw new PresentationError('rejected', 'the validity period is longer than the schema allows');
  }
  const suite = suiteByName(key.ciphersuite);
  const entropy = hexScalar(issued.signerNymEntropy, 'signerNymEntropy');
  const proverNym = hexScalar(secrets.proverNym, 'proverNym');
  const blind = hexScalar(secrets.proverBlind, 'proverBlind');
  const scalars = attributeScalars(suite, credentialMessages(schema, cred), pseudonymApiId(suite));
  let nymSecret;
  try {
    [nymSecret] = verifyFinalizeWithNym(
      suite,
      fromHex(key.public_key),
      parsed.signature,
      credentialHeader(key.key_id, digest),
      scalars,
      [],
      [proverNym],
      entropy,
      blind,
    );
  } catch (e) {
    if (!(e instanceof BBSError)) throw e;
    throw new PresentationError('rejected', "the credential's signature does not verify");
  }
  return {
    credential: cred,
    secrets: { nymSecret: toHex(scalarToBytes(nymSecret)), proverBlind: secrets.proverBlind },
  };
}

// ------------------------------------------------------------ presentation (docs §6, §7)

function predicateRange(schema, p) {
  const type = attributeType(schema, p.attribute);
  if (type !== 'integer' && type !== 'date') throw bad(`attribute ${p.attribute} (${type}) has no order`);
  const bound = encodeValue(type, p.value, p.attribute);
  const [loLimit, hiLimit] = type === 'date' ? [BigInt(DATE_MIN), BigInt(DATE_MAX)] : [INT64_MIN, INT64_MAX];
  const [lo, hi] = p.op === '<=' ? [loLimit, bound] : [bound, hiLimit];
  if (p.op !== '<=' && p.op !== '>=') throw bad('a predicate op is <= or >=');
  if (!(lo < hi)) throw bad(`the predicate ${p.attribute} ${p.op} ${p.value} leaves no range to prove`);
  return { lo, hi, bound };
}

/**
 * The presentation (W3C VP JSON, docs §7) of a wallet `record` answering `request`.
 * options.context: the unlinked context to use when the request asks no pseudonym
 * (default: "pnyx/unlinked/" + 32 fresh random bytes in hex).
 * PresentationError('cannot_present') when the credential cannot satisfy the request.
 */
export function presentCredential(key, schema, record, request, options = {}) {
  const digest = checkSchema(schema);
  const cred = record.credential;
  const parsed = parseCredential(cred);
  if (cred.issuer !== issuerUrn(request.issuer) || !cred.credentialSchema || cred.credentialSchema.id !== schemaUrn(request.issuer, request.schema)) {
    throw cannot(`the request asks for ${request.issuer}/${request.schema}, this credential is of another issuer or schema`);
  }
  if (parsed.keyId !== key.key_id || cred.credentialSchema.digest !== digest || schema.id !== request.schema) {
    throw cannot("the credential's issuer key or schema is not the one given");
  }
  const names = layoutNames(schema);
  const index = (n) => {
    const i = names.indexOf(n);
    if (i < 0) throw bad(`${JSON.stringify(n)} is not an attribute of this credential`);
    return i;
  };
  const shown = new Set(request.disclose.map(index));
  if (schema.revocation === 'status_list') {
    shown.add(index(STATUS_LIST));
    shown.add(index(STATUS_INDEX));
  }
  const predicates = new Map();
  for (const p of request.predicates) {
    const { lo, hi, bound } = predicateRange(schema, p);
    const value = encodeValue(attributeType(schema, p.attribute), parsed.values[p.attribute], p.attribute);
    if (!(p.op === '<=' ? value <= bound : value >= bound)) {
      throw cannot(`the predicate ${p.attribute} ${p.op} ${p.value} does not hold for this credential`);
    }
    predicates.set(index(p.attribute), [lo, hi]);
  }
  const today = dayNumber(request.date);
  if (dayNumber(parsed.values[VALID_UNTIL]) < today) {
    throw cannot(`the credential expired on ${parsed.values[VALID_UNTIL]}`);
  }
  predicates.set(index(VALID_UNTIL), [BigInt(today), BigInt(today + schema.max_validity_days)]);
  const context = request.pseudonym
    ? request.pseudonym.context
    : options.context || UNLINKED_PREFIX + toHex(globalThis.crypto.getRandomValues(new Uint8Array(32)));
  if (typeof context !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(context)) throw bad('bad pseudonym context');
  const suite = suiteByName(key.ciphersuite);
  const messages = names.map((n) => encodeValue(attributeType(schema, n), parsed.values[n], n));
  let pres;
  try {
    pres = present(
      suite,
      fromHex(key.public_key),
      parsed.signature,
      credentialHeader(key.key_id, digest),
      presentationHeader(request),
      messages,
      [...shown].sort((a, b) => a - b),
      {
        predicates,
        nym: {
          contextId: utf8(context),
          nymSecrets: [hexScalar(record.secrets.nymSecret, 'nymSecret')],
          secretProverBlind: hexScalar(record.secrets.proverBlind, 'proverBlind'),
        },
      },
    );
  } catch (e) {
    if (!(e instanceof BBSError)) throw e;
    throw cannot(`cannot prove this request: ${e.message}`);
  }
  const subject = {};
  for (const n of request.disclose) subject[n] = parsed.values[n];
  const vc = {
    '@context': CONTEXT,
    type: CREDENTIAL_TYPE,
    issuer: issuerUrn(key.issuer),
    credentialSchema: { id: schemaUrn(schema.issuer, schema.id), type: SCHEMA_TYPE, digest },
    credentialSubject: subject,
  };
  if (parsed.status) vc.credentialStatus = parsed.status.entry;
  vc.proof = {
    type: 'DataIntegrityProof',
    cryptosuite: CRYPTOSUITE,
    verificationMethod: keyUrn(key.key_id),
    proofPurpose: 'authentication',
    challenge: request.nonce,
    predicates: [...request.predicates.map((p) => ({ attribute: p.attribute, op: p.op, value: p.value })), { attribute: VALID_UNTIL, op: '>=', value: request.date }],
    pseudonym: { context, value: toHex(pres.pseudonym) },
    proofValue: 'f' + toHex(presentationToBytes(pres)),
  };
  return { '@context': CONTEXT, type: PRESENTATION_TYPE, verifiableCredential: [vc] };
}

/** The pseudonym of a wallet record for a context (what the booth shows): 96 hex digits. */
export function pseudonymOf(key, record, context) {
  const suite = suiteByName(key.ciphersuite);
  const secret = hexScalar(record.secrets.nymSecret, 'nymSecret');
  return toHex(calculatePseudonym(suite, utf8(context), [secret]));
}
