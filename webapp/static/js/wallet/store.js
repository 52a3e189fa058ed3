// Where the browser wallet keeps its envelope (docs/wallet.md §2): IndexedDB
// database "pnyx-wallet", object store "vault", one record under the key
// "wallet" whose value is the envelope object (vault.js) — only ciphertext and
// the public KDF parameters. Every page of this origin (the wallet, the booth)
// opens the same record; nothing of it is ever sent to the server.
//
// A store is {get(), put(envelope), remove()} (promises). memoryStore() is the
// same interface over a variable, for tests under node and for a wallet that
// must not persist.

export const DB_NAME = 'pnyx-wallet';
export const STORE_NAME = 'vault';
export const RECORD = 'wallet';

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function openDb(indexedDB) {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE_NAME);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('the wallet database is blocked by another tab'));
  });
}

/** The IndexedDB store of this origin (throws when the browser has no IndexedDB). */
export async function openStore(indexedDB = globalThis.indexedDB) {
  if (!indexedDB) throw new Error('this browser keeps no local data (IndexedDB is unavailable)');
  const db = await openDb(indexedDB);
  const run = async (mode, fn) => {
    const tx = db.transaction(STORE_NAME, mode);
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    const result = await request(fn(tx.objectStore(STORE_NAME)));
    await done;
    return result;
  };
  return {
    get: async () => (await run('readonly', (s) => s.get(RECORD))) ?? null,
    put: (envelope) => run('readwrite', (s) => s.put(envelope, RECORD)),
    remove: () => run('readwrite', (s) => s.delete(RECORD)),
  };
}

/** A store in memory (the same interface). */
export function memoryStore(initial = null) {
  let value = initial === null ? null : structuredClone(initial);
  return {
    get: async () => (value === null ? null : structuredClone(value)),
    put: async (envelope) => {
      value = structuredClone(envelope);
    },
    remove: async () => {
      value = null;
    },
  };
}
