/**
 * The wallet page (webapp/templates/wallet.html, webapp/pages_wallet.py, docs/wallet.md).
 *
 * Creates or unlocks the wallet kept encrypted in this browser's IndexedDB,
 * requests credentials through the issuance mailbox (blind commitment and
 * one-time X25519 key made here; the issuer's sealed answer opened and its
 * blind signature verified here), answers a verifier's presentation request
 * after showing what is disclosed and proved and asking consent (the BBS proof
 * made here), shows pseudonyms, exports and imports encrypted backups.
 *
 * What leaves the page (client.js): credential requests with their public
 * box key, deletions of answered mail, and the presentations the holder agreed
 * to. The passphrase, the derived key, the holder's secrets and the credentials
 * themselves stay in this module's memory and in the encrypted record.
 */

import * as api from './client.js';
import { SealError } from '../common/sealbox.js';
import { openStore } from './store.js';
import {
  PresentationError,
  VaultError,
  Wallet,
  WalletError,
  WrongPassphrase,
} from './wallet.js';
import { el, showAlert } from '../common/dom.js';

const POLL_MS = 2500;
const root = document.getElementById('wallet');
const $ = (id) => document.getElementById(id);

const state = {
  store: null,
  wallet: null,
  issuers: new Map(), // name -> issuer (GET /issuers/{name})
  poll: null,
  polling: false,
  gone: new Set(), // pending requests the mailbox no longer knows
  session: null, // {id, request, expires}
  backupUrl: null,
};

// ------------------------------------------------------------------ plumbing

function status(text) {
  $('wallet-status').textContent = text;
}

function alertBox(text) {
  showAlert($('wallet-alert'), text);
}

function explain(e) {
  if (e instanceof api.ApiError) return `The server refused: ${e.message} (${e.code}).`;
  if (e instanceof WrongPassphrase) return 'Wrong passphrase (or a damaged wallet).';
  if (e instanceof PresentationError) return e.detail || e.message;
  if (e instanceof VaultError || e instanceof WalletError || e instanceof SealError) return e.message;
  if (e instanceof TypeError && /fetch/i.test(e.message)) return 'The server could not be reached. Try again.';
  return `Something went wrong in the page: ${e?.message ?? e}`;
}

function show(id, focus = true) {
  const node = $(id);
  node.hidden = false;
  if (focus) (node.querySelector('h2') ?? node).focus();
}

function hide(...ids) {
  for (const id of ids) $(id).hidden = true;
}

function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

async function busy(button, fn) {
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
  }
}

function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, label]) => el('option', { value, text: label })));
}

const valueText = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

// ------------------------------------------------------------- start, lock

async function start() {
  try {
    state.store = await openStore();
  } catch (e) {
    status('This browser cannot keep a wallet.');
    alertBox(explain(e));
    return;
  }
  if (await Wallet.exists(state.store)) {
    status(root.dataset.request ? 'Unlock your wallet to answer the request.' : 'Unlock your wallet.');
    show('w-unlock', false);
    $('unlock-pass').focus();
  } else {
    status('There is no wallet in this browser yet.');
    show('w-create', false);
  }
}

async function onCreate(event) {
  event.preventDefault();
  alertBox(null);
  const pass = $('create-pass').value;
  if (pass !== $('create-pass2').value) {
    alertBox('The two passphrases differ.');
    return;
  }
  await busy($('create-button'), async () => {
    status('Creating your wallet (deriving its key)…');
    await nextFrame();
    try {
      state.wallet = await Wallet.create(state.store, pass);
    } catch (e) {
      status('The wallet was not created.');
      alertBox(explain(e));
      return;
    }
    $('create-pass').value = '';
    $('create-pass2').value = '';
    await unlocked('Your wallet is ready.');
  });
}

async function onRestore(event) {
  event.preventDefault();
  alertBox(null);
  const file = $('restore-file').files?.[0];
  if (!file) {
    alertBox('Choose the backup file first.');
    return;
  }
  await busy($('restore-button'), async () => {
    status('Restoring your wallet…');
    try {
      state.wallet = await Wallet.restore(state.store, await file.text(), $('restore-pass').value);
    } catch (e) {
      status('The wallet was not restored.');
      alertBox(explain(e));
      return;
    }
    $('restore-pass').value = '';
    await unlocked('Your wallet is restored from the backup.');
  });
}

async function onUnlock(event) {
  event.preventDefault();
  const out = $('unlock-result');
  await busy($('unlock-button'), async () => {
    out.textContent = 'Unlocking…';
    out.className = 'key-status';
    await nextFrame();
    try {
      state.wallet = await Wallet.unlock(state.store, $('unlock-pass').value);
    } catch (e) {
      out.textContent = `✗ ${explain(e)}`;
      out.className = 'key-status bad';
      return;
    }
    $('unlock-pass').value = '';
    out.textContent = '';
    await unlocked('Your wallet is unlocked.');
  });
}

async function unlocked(message) {
  alertBox(null);
  hide('w-create', 'w-unlock');
  show('w-main', false);
  status(message);
  renderCredentials();
  renderPending();
  startPolling();
  loadIssuers().catch((e) => alertBox(`The issuers could not be loaded: ${explain(e)}`));
  if (root.dataset.request) await openSession(root.dataset.request);
}

function lock() {
  state.wallet?.lock();
  state.wallet = null;
  stopPolling();
  state.session = null;
  if (state.backupUrl) URL.revokeObjectURL(state.backupUrl);
  state.backupUrl = null;
  for (const id of ['credentials', 'pending', 'present-disclosed', 'present-predicates']) $(id).replaceChildren();
  $('pseudonym-value').textContent = '';
  $('backup-link').hidden = true;
  hide('w-main', 'w-present');
  show('w-unlock', false);
  status('Your wallet is locked.');
}

async function onDelete() {
  stopPolling();
  state.wallet?.lock();
  state.wallet = null;
  await state.store.remove();
  hide('w-main', 'w-present');
  show('w-create', false);
  status('The wallet was deleted from this browser.');
}

// ------------------------------------------------------------- credentials

function renderCredentials() {
  const list = $('credentials');
  const creds = state.wallet.credentials();
  list.replaceChildren(
    ...creds.map((c) => {
      const dl = el('dl', { className: 'kv' });
      for (const [k, v] of Object.entries(c.subject)) dl.append(el('dt', { text: k }), el('dd', { text: valueText(v) }));
      return el(
        'li',
        { className: 'card credential', 'data-credential': c.id },
        el('h3', { text: `${c.title} ` }, el('span', { className: 'muted small', text: `${c.issuer}/${c.schema}` })),
        dl,
        el('p', { className: 'small', text: `Valid ${c.validFrom} to ${c.validUntil}${c.revocable ? ' · revocable (status list)' : ''} · id ${c.id}` }),
      );
    }),
  );
  $('credentials-empty').hidden = creds.length > 0;
  const options = creds.map((c) => [c.id, `${c.title} (${c.issuer}) · ${c.id}`]);
  fillSelect($('pseudonym-credential'), options);
  $('w-pseudonym').hidden = creds.length === 0;
}

function onPseudonym(event) {
  event.preventDefault();
  const out = $('pseudonym-value');
  try {
    const cid = $('pseudonym-credential').value;
    if (!cid) throw new WalletError('There is no credential to derive a pseudonym from.');
    const context = $('pseudonym-context').value.trim();
    if (!/^[\x21-\x7e]{1,200}$/.test(context)) throw new WalletError('A context is 1 to 200 printable ASCII characters, e.g. an election id.');
    out.textContent = state.wallet.pseudonym(cid, context);
    alertBox(null);
  } catch (e) {
    out.textContent = '';
    alertBox(explain(e));
  }
}

// ----------------------------------------------------------------- issuance

async function loadIssuers() {
  const { issuers } = await api.issuers();
  const usable = issuers.filter((i) => i.active && i.keys.length && i.schemas.length);
  state.issuers.clear();
  for (const i of usable) state.issuers.set(i.name, await api.issuer(i.name));
  fillSelect($('request-issuer'), usable.map((i) => [i.name, i.name]));
  $('request-button').disabled = usable.length === 0;
  if (!usable.length) $('request-attributes').textContent = 'No issuer on this board publishes a credential yet.';
  onIssuer();
}

function onIssuer() {
  const issuer = state.issuers.get($('request-issuer').value);
  fillSelect($('request-schema'), (issuer?.schemas ?? []).map((s) => [s.id, `${s.title} (${s.id})`]));
  onSchema();
}

function chosenSchema() {
  const issuer = state.issuers.get($('request-issuer').value);
  return issuer?.schemas.find((s) => s.id === $('request-schema').value) ?? null;
}

function onSchema() {
  const schema = chosenSchema();
  const box = $('request-attributes');
  if (!schema) return;
  box.replaceChildren(
    el('span', { text: 'Attributes: ' }),
    el('span', { text: schema.attributes.map((a) => `${a.name} (${a.type})`).join(', ') }),
    el('span', { text: ` · valid up to ${schema.max_validity_days} days · ${schema.revocation === 'status_list' ? 'revocable' : 'short-lived, unlinkable'}` }),
  );
}

async function onRequest(event) {
  event.preventDefault();
  alertBox(null);
  const schema = chosenSchema();
  if (!schema) {
    alertBox('Choose an issuer and a credential first.');
    return;
  }
  await busy($('request-button'), async () => {
    try {
      status('Making the blind commitment in this page…');
      await nextFrame();
      const key = await api.issuerKey(schema.issuer);
      const { id, body } = await state.wallet.newRequest(key, schema);
      status('Sending the request to the issuer’s mailbox…');
      await api.submitRequest(body);
      status(`Request ${id} sent to ${schema.issuer}. Give the issuer this code: ${id}.`);
    } catch (e) {
      status('The request was not sent.');
      alertBox(explain(e));
    }
    renderPending();
    startPolling();
  });
}

function renderPending() {
  const pending = state.wallet.requests();
  $('pending').replaceChildren(
    ...pending.map((r) => {
      const gone = state.gone.has(r.id);
      const item = el(
        'li',
        { className: 'pending', 'data-request': r.id },
        el('span', { text: `${r.title} from ${r.issuer} — request code ` }),
        el('code', { className: 'request-code', text: r.id }),
        el('span', { className: 'muted', text: gone ? ' — the mailbox no longer has it (expired?)' : ' — waiting' }),
      );
      if (gone) {
        const drop = el('button', { type: 'button', className: 'button button-secondary', text: 'Remove' });
        drop.addEventListener('click', async () => {
          await state.wallet.removeRequest(r.id);
          state.gone.delete(r.id);
          renderPending();
        });
        item.append(' ', drop);
      }
      return item;
    }),
  );
  $('w-pending').hidden = pending.length === 0;
}

function startPolling() {
  if (state.poll || !state.wallet || state.wallet.requests().length === 0) return;
  state.poll = setInterval(() => checkMailbox(), POLL_MS);
  checkMailbox();
}

function stopPolling() {
  if (state.poll) clearInterval(state.poll);
  state.poll = null;
}

async function checkMailbox() {
  if (state.polling || !state.wallet) return;
  state.polling = true;
  try {
    for (const r of state.wallet.requests()) {
      if (state.gone.has(r.id)) continue;
      let mail;
      try {
        mail = await api.mail(r.id);
      } catch (e) {
        if (e instanceof api.ApiError && e.status === 404) {
          state.gone.add(r.id);
          renderPending();
          continue;
        }
        throw e;
      }
      if (mail.status !== 'issued' || !state.wallet) continue;
      status(`The issuer answered request ${r.id}: opening and checking it in this page…`);
      await nextFrame();
      let added;
      try {
        added = await state.wallet.acceptSealed(r.id, mail.sealed);
      } catch (e) {
        state.gone.add(r.id);
        renderPending();
        alertBox(`The answer to request ${r.id} was refused: ${explain(e)}`);
        continue;
      }
      await api.deleteMail(r.id).catch(() => null); // kept: the mailbox copy is no longer needed
      renderCredentials();
      renderPending();
      status(`✓ Credential added: ${added.title} from ${added.issuer}, valid until ${added.validUntil}.`);
    }
  } catch (e) {
    alertBox(explain(e));
  } finally {
    state.polling = false;
    if (state.wallet && state.wallet.requests().every((r) => state.gone.has(r.id))) stopPolling();
  }
}

// ------------------------------------------------------------ presentations

function sessionIdOf(text) {
  const t = String(text).trim();
  const m = /(?:^|[?&]request=)([0-9a-f]{32})(?:$|[&#])/.exec(t) ?? /^([0-9a-f]{32})$/.exec(t);
  return m ? m[1] : null;
}

function onAnswerForm(event) {
  event.preventDefault();
  const id = sessionIdOf($('answer-link').value);
  if (!id) {
    alertBox('Paste the verifier’s link (…/wallet?request=…) or its 32-character request code.');
    return;
  }
  openSession(id);
}

async function openSession(id) {
  alertBox(null);
  let s;
  try {
    s = await api.session(id);
  } catch (e) {
    alertBox(`The verifier's request could not be loaded: ${explain(e)}`);
    return;
  }
  if (s.status !== 'pending') {
    alertBox(s.status === 'verified' ? 'This request was answered already.' : 'This request has expired: ask the verifier for a new one.');
    return;
  }
  state.session = { id, request: s.request, expires: s.expires };
  const r = s.request;
  $('present-who').textContent = `A verifier asks for a credential “${r.schema}” from ${r.issuer} (request ${id.slice(0, 8)}…, until ${s.expires}).`;
  $('present-result').textContent = '';
  $('present-result').className = 'verdict';
  const matching = state.wallet.matching(r);
  fillSelect($('present-credential'), matching.map((c) => [c.id, `${c.title} · valid until ${c.validUntil} · ${c.id}`]));
  $('present-choose-field').hidden = matching.length === 0;
  $('present-plan').hidden = matching.length === 0;
  $('present-share').hidden = matching.length === 0;
  $('present-none').hidden = matching.length > 0;
  $('present-none').textContent = `You have no “${r.schema}” credential from ${r.issuer}: request one first.`;
  if (matching.length) showPlan();
  $('present-share').disabled = false;
  $('present-decline').disabled = false;
  show('w-present');
  status('A verifier asks for a presentation: read what it will see, then share or decline.');
}

function showPlan() {
  const { request } = state.session;
  const plan = state.wallet.plan($('present-credential').value, request);
  const dl = $('present-disclosed');
  dl.replaceChildren();
  for (const d of plan.disclosed) dl.append(el('dt', { text: d.name }), el('dd', { text: valueText(d.value) }));
  if (!plan.disclosed.length) dl.append(el('dt', { text: 'nothing' }), el('dd', { text: 'no attribute is shown' }));
  $('present-predicates').replaceChildren(...plan.predicates.map((p) => el('li', { text: p })));
  $('present-pseudonym').textContent = plan.pseudonym
    ? `It receives your pseudonym for “${plan.pseudonym}”: it will recognise you again in this context, and nowhere else.`
    : 'No pseudonym: this presentation cannot be linked to any other you make.';
  $('present-status').textContent = plan.status
    ? `It also sees the credential's revocation entry (${plan.status.list} #${plan.status.index}), which is the same each time you show this credential.`
    : '';
}

async function onShare() {
  const session = state.session;
  if (!session) return;
  const out = $('present-result');
  $('present-share').disabled = true;
  $('present-decline').disabled = true;
  status('Proving in this page…');
  await nextFrame();
  try {
    const vp = state.wallet.present($('present-credential').value, session.request);
    status('Sending the presentation to the verifier…');
    const verdict = await api.answerSession(session.id, vp);
    out.textContent = verdict.valid ? '✓ Shared: the verifier checked your presentation.' : '✗ The verifier refused it.';
    out.className = verdict.valid ? 'verdict ok' : 'verdict bad';
    status(verdict.valid ? 'Shared.' : 'Refused.');
    state.session = null;
    history.replaceState(null, '', '/wallet');
  } catch (e) {
    out.textContent = `✗ ${explain(e)}`;
    out.className = 'verdict bad';
    status('Nothing was shared.');
    $('present-share').disabled = false;
    $('present-decline').disabled = false;
  }
}

function onDecline() {
  state.session = null;
  hide('w-present');
  history.replaceState(null, '', '/wallet');
  status('Declined: nothing was sent to the verifier.');
}

// ------------------------------------------------------------------ backups

async function onExport() {
  try {
    const text = await state.wallet.exportBackup();
    if (state.backupUrl) URL.revokeObjectURL(state.backupUrl);
    state.backupUrl = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const link = $('backup-link');
    link.href = state.backupUrl;
    link.download = `pnyx-wallet-${new Date().toISOString().slice(0, 10)}.json`;
    link.hidden = false;
    link.focus();
    status('Your encrypted backup is ready: save the file.');
  } catch (e) {
    alertBox(explain(e));
  }
}

async function onImport(event) {
  event.preventDefault();
  const out = $('import-result');
  const file = $('import-file').files?.[0];
  if (!file) {
    out.textContent = '✗ Choose the backup file first.';
    out.className = 'key-status bad';
    return;
  }
  await busy($('import-button'), async () => {
    out.textContent = 'Opening the backup…';
    out.className = 'key-status';
    try {
      const n = await state.wallet.importBackup(await file.text(), $('import-pass').value);
      out.textContent = `✓ Imported ${n.credentials} credential(s) and ${n.requests} pending request(s).`;
      out.className = 'key-status ok';
      $('import-pass').value = '';
      $('import-file').value = '';
      renderCredentials();
      renderPending();
      startPolling();
    } catch (e) {
      out.textContent = `✗ ${explain(e)}`;
      out.className = 'key-status bad';
    }
  });
}

// ------------------------------------------------------------------- wiring

function wire() {
  $('create-form').addEventListener('submit', onCreate);
  $('restore-form').addEventListener('submit', onRestore);
  $('unlock-form').addEventListener('submit', onUnlock);
  $('lock-button').addEventListener('click', lock);
  $('wallet-delete').addEventListener('click', onDelete);
  $('request-issuer').addEventListener('change', onIssuer);
  $('request-schema').addEventListener('change', onSchema);
  $('request-form').addEventListener('submit', onRequest);
  $('pending-check').addEventListener('click', () => checkMailbox());
  $('answer-form').addEventListener('submit', onAnswerForm);
  $('present-credential').addEventListener('change', showPlan);
  $('present-share').addEventListener('click', onShare);
  $('present-decline').addEventListener('click', onDecline);
  $('pseudonym-form').addEventListener('submit', onPseudonym);
  $('backup-export').addEventListener('click', onExport);
  $('import-form').addEventListener('submit', onImport);
  window.addEventListener('pagehide', () => {
    state.wallet?.lock();
    stopPolling();
    if (state.backupUrl) URL.revokeObjectURL(state.backupUrl);
  });
  // back from the page cache: the wallet was locked on leaving
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && state.wallet) lock();
  });
}

wire();
start().catch((e) => {
  status('The wallet could not be opened.');
  alertBox(explain(e));
});
