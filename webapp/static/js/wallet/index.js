// The browser wallet for other pages of this origin (docs/wallet.md §5): the booth
// imports this module (dynamically, for credential elections only) and opens the
// same IndexedDB record as /wallet, unlocked with the holder's passphrase in the
// booth itself. No iframe, no messages: same origin, same store, the same code.
//
//   const store = await walletStore();        // null when this browser has no wallet
//   const w = await Wallet.unlock(store, passphrase);
//   w.credentialsFor(issuer, schema)          // [{id, title, subject, validUntil, ...}]
//   w.pseudonym(id, electionId)               // 96 hex: the ballot's voter
//   w.plan(id, request)                       // what a presentation shows and proves
//   w.present(id, presentationRequest(manifest, ballotHash))   // the W3C VP, proved here
//   w.lock()

import { openStore } from './store.js';
import { Wallet } from './wallet.js';

export { PresentationError, Wallet, WalletError, WrongPassphrase } from './wallet.js';

/** This origin's wallet store, or null when this browser has no wallet yet. */
export async function walletStore() {
  const store = await openStore();
  return (await Wallet.exists(store)) ? store : null;
}
