// The browser wallet's modules as a batch command for tests/webapp/test_js_wallet.py:
// reads a JSON array of operations on stdin, writes a JSON array of results on
// stdout ({"result": ...} or {"error": "<name>: <message>"}), in order. A wallet
// lives in a JSON file (a store with the IndexedDB store's interface).

import { readFileSync, writeFileSync, existsSync } from 'node:fs';

import { seal, sealOpen } from '../static/js/common/sealbox.js';
import { fromHex, newVault, openVault, sealVault, toHex } from '../static/js/wallet/vault.js';
import { Wallet } from '../static/js/wallet/wallet.js';

function fileStore(path) {
  return {
    get: async () => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null),
    put: async (envelope) => writeFileSync(path, JSON.stringify(envelope)),
    remove: async () => writeFileSync(path, 'null'),
  };
}

const open = (o) => Wallet.unlock(fileStore(o.file), o.passphrase);

const OPS = {
  create: async (o) => {
    await Wallet.create(fileStore(o.file), o.passphrase);
    return true;
  },
  newRequest: async (o) => (await open(o)).newRequest(o.key, o.schema),
  acceptSealed: async (o) => (await open(o)).acceptSealed(o.id, o.sealed),
  credentials: async (o) => (await open(o)).credentials(),
  present: async (o) => (await open(o)).present(o.id, o.request),
  plan: async (o) => (await open(o)).plan(o.id, o.request),
  pseudonym: async (o) => (await open(o)).pseudonym(o.id, o.context),
  data: async (o) => (await open(o)).data,
  exportBackup: async (o) => (await open(o)).exportBackup(),
  restore: async (o) => {
    await Wallet.restore(fileStore(o.file), o.backup, o.passphrase);
    return true;
  },
  importBackup: async (o) => (await open(o)).importBackup(o.backup, o.backupPassphrase),
  seal: async (o) => toHex(seal(fromHex(o.message), fromHex(o.publicKey))),
  sealOpen: async (o) => toHex(sealOpen(fromHex(o.sealed), fromHex(o.publicKey), fromHex(o.secretKey))),
  vaultSeal: async (o) => {
    const { key, header } = await newVault(o.passphrase);
    return sealVault(key, header, o.contents);
  },
  vaultOpen: async (o) => (await openVault(o.envelope, o.passphrase)).contents,
};

const ops = JSON.parse(readFileSync(0, 'utf8'));
const out = [];
for (const o of ops) {
  try {
    if (!(o.op in OPS)) throw new Error(`unknown op ${o.op}`);
    out.push({ result: await OPS[o.op](o) });
  } catch (e) {
    out.push({ error: `${e.name}: ${e.message}` });
  }
}
process.stdout.write(JSON.stringify(out));
