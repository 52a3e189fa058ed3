// The browser wallet's model (static/js/wallet/wallet.js) over a store in memory:
// create, unlock, wrong passphrase, requests and their secrets kept encrypted,
// sealed answers that do not fit refused, backups exported, restored and merged.
// The whole issuance and presentation (credentials kept, merged from a backup) with a
// Python issuer and verifier is in tests/webapp/test_js_wallet.py; in the browser, tests/webapp/test_browser_wallet.py.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { keygen, skToPk } from '../static/js/bbs/interface.js';
import { SHA_256, toHex } from '../static/js/bbs/suite.js';
import { schemaDigest } from '../static/js/bbs/credential.js';
import { seal, SealError } from '../static/js/common/sealbox.js';
import { memoryStore } from '../static/js/wallet/store.js';
import { VaultError, WrongPassphrase, fromHex } from '../static/js/wallet/vault.js';
import { Wallet, WalletError } from '../static/js/wallet/wallet.js';

const PASS = 'a long enough passphrase';
const sk = keygen(SHA_256, new Uint8Array(32).fill(7), new TextEncoder().encode('wallet test'));
const KEY = {
  key_id: 'ab'.repeat(32),
  issuer: 'cityhall',
  ciphersuite: 'BLS12-381-SHA-256',
  public_key: toHex(skToPk(sk)),
};
const SCHEMA = {
  issuer: 'cityhall',
  id: 'eid',
  title: 'Electronic identity',
  attributes: [
    { name: 'givenName', type: 'string', encoding: 'utf8-hash' },
    { name: 'district', type: 'integer', encoding: 'int64-scalar' },
  ],
  revocation: 'short_lived',
  max_validity_days: 30,
};
SCHEMA.digest = schemaDigest(SCHEMA);

test('create, lock, unlock; a wrong passphrase opens nothing', async () => {
  const store = memoryStore();
  assert.equal(await Wallet.exists(store), false);
  await assert.rejects(Wallet.unlock(store, PASS), WalletError);
  await assert.rejects(Wallet.create(store, 'too short'), VaultError);
  const w = await Wallet.create(store, PASS);
  assert.equal(await Wallet.exists(store), true);
  assert.deepEqual(w.credentials(), []);
  await assert.rejects(Wallet.create(store, PASS), WalletError); // never overwritten
  w.lock();
  assert.throws(() => w.credentials(), WalletError);
  await assert.rejects(Wallet.unlock(store, 'another passphrase'), WrongPassphrase);
  const again = await Wallet.unlock(store, PASS);
  assert.deepEqual(again.credentials(), []);
  assert.equal((await store.get()).type, 'PnyxBrowserWallet');
});

test('a request keeps its secrets in the wallet and posts only the commitment and a public key', async () => {
  const store = memoryStore();
  const w = await Wallet.create(store, PASS);
  const { id, body } = await w.newRequest(KEY, SCHEMA);
  assert.deepEqual(Object.keys(body).sort(), ['request', 'seal_to']);
  assert.match(body.seal_to, /^[0-9a-f]{64}$/);
  assert.equal(body.request.issuerKey, KEY.key_id);
  assert.equal(body.request.schemaDigest, SCHEMA.digest);
  assert.match(body.request.commitment, /^[0-9a-f]{288}$/);
  const kept = w.data.requests[id];
  assert.equal(kept.box.publicKey, body.seal_to);
  const secrets = [kept.box.secretKey, kept.secrets.proverNym, kept.secrets.proverBlind];
  for (const s of secrets) {
    assert.match(s, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(body).includes(s), 'a secret in the posted body');
    assert.ok(!JSON.stringify(await store.get()).includes(s), 'a secret in the clear in the store');
  }
  assert.deepEqual(w.requests().map((r) => [r.id, r.issuer, r.schema]), [[id, 'cityhall', 'eid']]);
  // it survives locking
  const again = await Wallet.unlock(store, PASS);
  assert.deepEqual(again.data.requests[id], kept);
  await again.removeRequest(id);
  assert.deepEqual(again.requests(), []);
});

test('sealed answers that do not fit the request are refused and change nothing', async () => {
  const store = memoryStore();
  const w = await Wallet.create(store, PASS);
  const { id, body } = await w.newRequest(KEY, SCHEMA);
  const before = await store.get();
  const pk = fromHex(body.seal_to);
  const sealedJson = (doc) => toHex(seal(new TextEncoder().encode(JSON.stringify(doc)), pk));
  // sealed to another key
  const other = seal(new TextEncoder().encode('{}'), fromHex('11'.repeat(32)));
  await assert.rejects(w.acceptSealed(id, toHex(other)), SealError);
  // not JSON, another request's answer, a forged credential
  await assert.rejects(w.acceptSealed(id, toHex(seal(new TextEncoder().encode('nope'), pk))), WalletError);
  await assert.rejects(w.acceptSealed(id, sealedJson({ request: '0'.repeat(16) })), WalletError);
  await assert.rejects(
    w.acceptSealed(id, sealedJson({ version: 1, type: 'PnyxCredentialIssuance', request: id })),
    (e) => e.name === 'PresentationError',
  );
  await assert.rejects(w.acceptSealed('0'.repeat(16), sealedJson({})), WalletError);
  await assert.rejects(w.acceptSealed(id, 'zz'), VaultError);
  assert.deepEqual(await store.get(), before);
  assert.deepEqual(w.credentials(), []);
  assert.equal(w.requests().length, 1);
});

test('a backup round trip: export, restore elsewhere, merge into another wallet', async () => {
  const store = memoryStore();
  const w = await Wallet.create(store, PASS);
  const { id } = await w.newRequest(KEY, SCHEMA);
  const data = w.data;
  assert.equal(data.requests[id].key.key_id, KEY.key_id);
  const backup = await w.exportBackup();
  assert.equal(JSON.parse(backup).type, 'PnyxBrowserWallet');
  assert.deepEqual(JSON.parse(backup), await store.get());

  // restored into an empty browser with the backup's passphrase; a wrong one is refused
  const fresh = memoryStore();
  await assert.rejects(Wallet.restore(fresh, backup, 'wrong passphrase!'), WrongPassphrase);
  assert.equal(await Wallet.exists(fresh), false);
  await assert.rejects(Wallet.restore(fresh, '{"version": 1}', PASS), VaultError);
  const restored = await Wallet.restore(fresh, backup, PASS);
  assert.deepEqual(restored.data, data);
  await assert.rejects(Wallet.restore(fresh, backup, PASS), WalletError); // no silent overwrite
  assert.deepEqual((await Wallet.unlock(fresh, PASS)).data, data);

  // merged into another wallet with its own passphrase
  const mine = await Wallet.create(memoryStore(), 'my own passphrase');
  await assert.rejects(mine.importBackup(backup, 'wrong passphrase!'), WrongPassphrase);
  assert.deepEqual(await mine.importBackup(backup, PASS), { credentials: 0, requests: 1 });
  assert.deepEqual(await mine.importBackup(backup, PASS), { credentials: 0, requests: 0 });
  assert.deepEqual(mine.data.requests[id], data.requests[id]);
});
