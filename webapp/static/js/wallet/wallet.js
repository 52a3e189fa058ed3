// The browser wallet (docs/wallet.md): the holder's credentials and secrets,
// decrypted in memory only while unlocked, saved encrypted (vault.js) in a
// store (store.js). Everything secret is made here: the blind commitment and
// its nym secret (credential.js makeCredentialRequest), the X25519 key each
// answer is sealed to (../common/sealbox.js), the BBS proofs of presentations. Nothing in
// this module sends anything; the pages post only requests, public keys and
// presentations (client.js).
//
// Contents (the plaintext of the envelope, JSON):
//   {"version": 1, "created": <time>,
//    "credentials": {<id>: {"credential": <W3C VC>, "secrets": {"nymSecret", "proverBlind"},
//                           "key": <issuer key>, "schema": <schema record>, "added": <time>}},
//    "requests": {<request id>: {"request": <PnyxCredentialRequest>,
//                 "secrets": {"proverNym", "proverBlind"},
//                 "box": {"publicKey", "secretKey"}, "key": <issuer key>,
//                 "schema": <schema record>, "created": <time>}}}
// <id> = the first 16 hex digits of SHA-256(JCS(credential)), as the CLI wallet's.

import canonicalize from 'canonicalize';
import { sha256 } from '@noble/hashes/sha2.js';

import {
  PresentationError,
  acceptIssuance,
  makeCredentialRequest,
  presentCredential,
  pseudonymOf,
  requestId,
} from '../bbs/credential.js';
import { boxKeyPair, sealOpen } from '../common/sealbox.js';
import {
  VaultError,
  WrongPassphrase,
  decryptWith,
  fromHex,
  newVault,
  openVault,
  parseEnvelope,
  sealVault,
  toHex,
} from './vault.js';

export { PresentationError, VaultError, WrongPassphrase };

const VERSION = 1;
const ID = /^[0-9a-f]{16}$/;

/** A wallet operation that cannot be done (the page shows the message). */
export class WalletError extends Error {
  constructor(message) {
    super(message);
    this.name = 'WalletError';
  }
}

export function now() {
  return new Date().toISOString().slice(0, 19) + 'Z';
}

/** The local id of a credential: first 16 hex of SHA-256(JCS(credential)). */
export function credentialId(credential) {
  return toHex(sha256(new TextEncoder().encode(canonicalize(credential)))).slice(0, 16);
}

function emptyContents() {
  return { version: VERSION, created: now(), credentials: {}, requests: {} };
}

function checkContents(c) {
  if (!c || c.version !== VERSION || typeof c.credentials !== 'object' || typeof c.requests !== 'object') {
    throw new VaultError('the wallet decrypted, but it is not a version 1 wallet');
  }
  return c;
}

/** The public fields of an issuer key record (GET /identity/keys/{id}). */
export function keyRecord(key) {
  return { key_id: key.key_id, issuer: key.issuer, ciphersuite: key.ciphersuite, public_key: key.public_key };
}

/** The fields of a schema record that its digest covers, and the digest. */
export function schemaRecord(schema) {
  return {
    issuer: schema.issuer,
    id: schema.id,
    title: schema.title,
    attributes: schema.attributes.map((a) => ({ name: a.name, type: a.type, encoding: a.encoding })),
    revocation: schema.revocation,
    max_validity_days: schema.max_validity_days,
    digest: schema.digest,
  };
}

const day = (value) => String(value).slice(0, 10);

/** What the page lists of a credential record (the subject in the schema's order). */
export function summary(id, rec) {
  const vc = rec.credential;
  const subject = {};
  for (const a of rec.schema.attributes) if (a.name in vc.credentialSubject) subject[a.name] = vc.credentialSubject[a.name];
  return {
    id,
    issuer: rec.key.issuer,
    schema: rec.schema.id,
    title: rec.schema.title,
    subject,
    validFrom: day(vc.validFrom),
    validUntil: day(vc.validUntil),
    revocable: rec.schema.revocation === 'status_list',
    added: rec.added,
  };
}

export class Wallet {
  #store;
  #key;
  #header;
  #data;

  constructor(store, key, header, data) {
    this.#store = store;
    this.#key = key;
    this.#header = header;
    this.#data = checkContents(data);
  }

  /** Whether the store holds a wallet. */
  static async exists(store) {
    return (await store.get()) !== null;
  }

  /** A new, empty wallet under `passphrase` (refuses to overwrite one). */
  static async create(store, passphrase, { iterations } = {}) {
    if (await Wallet.exists(store)) throw new WalletError('this browser has a wallet already');
    const { key, header } = await newVault(passphrase, iterations);
    const w = new Wallet(store, key, header, emptyContents());
    await w.save();
    return w;
  }

  /** The stored wallet, decrypted with `passphrase` (WrongPassphrase when it does not open). */
  static async unlock(store, passphrase) {
    const envelope = await store.get();
    if (envelope === null) throw new WalletError('this browser has no wallet yet');
    const { key, header, contents } = await openVault(envelope, passphrase);
    return new Wallet(store, key, header, contents);
  }

  /** Put a backup file in the store as this browser's wallet (after opening it with its passphrase). */
  static async restore(store, backupText, passphrase, { replace = false } = {}) {
    if (!replace && (await Wallet.exists(store))) {
      throw new WalletError('this browser has a wallet already: unlock it and import the backup into it');
    }
    const envelope = parseEnvelope(backupText);
    const { key, header, contents } = await openVault(envelope, passphrase);
    checkContents(contents);
    await store.put(envelope);
    return new Wallet(store, key, header, contents);
  }

  /** The decrypted contents (a deep copy). */
  get data() {
    return structuredClone(this.#data);
  }

  get unlocked() {
    return this.#data !== null;
  }

  /** Forget the key and the contents (the page locks on leaving). */
  lock() {
    this.#key = null;
    this.#data = null;
  }

  #open() {
    if (this.#data === null) throw new WalletError('the wallet is locked');
    return this.#data;
  }

  /** Encrypt the contents with a fresh IV and write them to the store. */
  async save() {
    await this.#store.put(await sealVault(this.#key, this.#header, this.#open()));
  }

  /** The backup file: the stored envelope as JSON text (the same encryption, docs/wallet.md §4). */
  async exportBackup() {
    this.#open();
    const envelope = await this.#store.get();
    await decryptWith(this.#key, envelope); // the stored record is this wallet's
    return `${JSON.stringify(envelope, null, 1)}\n`;
  }

  /** Add the credentials and pending requests of a backup (its own passphrase) to this wallet. */
  async importBackup(backupText, passphrase) {
    const data = this.#open();
    const { contents } = await openVault(parseEnvelope(backupText), passphrase);
    checkContents(contents);
    let credentials = 0;
    let requests = 0;
    for (const [id, rec] of Object.entries(contents.credentials)) {
      if (!ID.test(id) || id !== credentialId(rec.credential)) throw new VaultError('the backup holds a damaged credential');
      if (!(id in data.credentials)) credentials++;
      data.credentials[id] = rec;
    }
    for (const [id, rec] of Object.entries(contents.requests)) {
      if (!(id in data.requests) && !Object.values(data.credentials).some((c) => c.request === id)) {
        data.requests[id] = rec;
        requests++;
      }
    }
    await this.save();
    return { credentials, requests };
  }

  // ------------------------------------------------------------ credentials

  /** Every credential, summarised, newest first. */
  credentials() {
    return Object.entries(this.#open().credentials)
      .map(([id, rec]) => summary(id, rec))
      .sort((a, b) => (a.added < b.added ? 1 : a.added > b.added ? -1 : a.id.localeCompare(b.id)));
  }

  /** The credentials of `issuer`'s schema `schema`. */
  credentialsFor(issuer, schema) {
    return this.credentials().filter((c) => c.issuer === issuer && c.schema === schema);
  }

  #record(id) {
    const rec = this.#open().credentials[id];
    if (!rec) throw new WalletError(`no credential ${id} in this wallet`);
    return rec;
  }

  async removeCredential(id) {
    this.#record(id);
    delete this.#open().credentials[id];
    await this.save();
  }

  // --------------------------------------------------------------- issuance

  /**
   * A blind issuance request for `key` and `schema` (board records): the commitment
   * to a fresh nym secret and a fresh X25519 key pair, both made here and kept.
   * Returns {id, body}: body is what to POST to /identity/issuance/requests.
   */
  async newRequest(key, schema) {
    const data = this.#open();
    const { request, secrets } = makeCredentialRequest(key, schema);
    const box = boxKeyPair();
    const id = requestId(request);
    data.requests[id] = {
      request,
      secrets,
      box: { publicKey: toHex(box.publicKey), secretKey: toHex(box.secretKey) },
      key: keyRecord(key),
      schema: schemaRecord(schema),
      created: now(),
    };
    box.secretKey.fill(0);
    await this.save();
    return { id, body: { request, seal_to: data.requests[id].box.publicKey } };
  }

  /** Pending requests: [{id, issuer, schema, title, created}]. */
  requests() {
    return Object.entries(this.#open().requests).map(([id, r]) => ({
      id,
      issuer: r.request.issuer,
      schema: r.request.schema,
      title: r.schema.title,
      created: r.created,
    }));
  }

  async removeRequest(id) {
    if (!this.#open().requests[id]) throw new WalletError(`no pending request ${id}`);
    delete this.#open().requests[id];
    await this.save();
  }

  /**
   * The issuer's sealed answer to request `id` (hex, from the mailbox): opened with the
   * request's X25519 secret, checked (VerifyFinalizeWithNym with the holder's secrets),
   * kept. Returns the new credential's summary. PresentationError / SealError otherwise.
   */
  async acceptSealed(id, sealedHex) {
    const data = this.#open();
    const pending = data.requests[id];
    if (!pending) throw new WalletError(`no pending request ${id} in this wallet`);
    const plain = sealOpen(
      fromHex(sealedHex, 'the sealed answer'),
      fromHex(pending.box.publicKey),
      fromHex(pending.box.secretKey),
    );
    let issued;
    try {
      issued = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
    } catch {
      throw new WalletError('the sealed answer is not a JSON document');
    }
    if (!issued || issued.request !== id) throw new WalletError('the sealed answer is for another request');
    const record = acceptIssuance(pending.key, pending.schema, pending.request, pending.secrets, issued);
    const cid = credentialId(record.credential);
    data.credentials[cid] = { ...record, key: pending.key, schema: pending.schema, added: now(), request: id };
    delete data.requests[id];
    await this.save();
    return summary(cid, data.credentials[cid]);
  }

  // ------------------------------------------------------------ presenting

  /** What answering `request` with credential `id` shows, proves and links (for consent). */
  plan(id, request) {
    const rec = this.#record(id);
    const subject = rec.credential.credentialSubject;
    const disclosed = request.disclose.map((name) => ({ name, value: subject[name] }));
    const status = rec.schema.revocation === 'status_list' ? rec.credential.credentialStatus : null;
    return {
      credential: summary(id, rec),
      disclosed,
      predicates: [
        ...request.predicates.map((p) => `${p.attribute} ${p.op} ${p.value}`),
        `validUntil >= ${request.date}`,
      ],
      pseudonym: request.pseudonym ? request.pseudonym.context : null,
      status: status ? { list: status.statusListCredential, index: status.statusListIndex } : null,
    };
  }

  /** The credentials that can answer `request` (issuer and schema), newest first. */
  matching(request) {
    return this.credentialsFor(request.issuer, request.schema);
  }

  /** The W3C presentation of credential `id` answering `request` (the BBS proof, made here). */
  present(id, request, options = {}) {
    const rec = this.#record(id);
    return presentCredential(rec.key, rec.schema, rec, request, options);
  }

  /** Credential `id`'s pseudonym for `context` (an election id): 96 hex digits. */
  pseudonym(id, context) {
    const rec = this.#record(id);
    return pseudonymOf(rec.key, rec, context);
  }
}
