/**
 * The voting booth page (webapp/templates/booth.html, webapp/pages_booth.py).
 *
 * Loads the election from the API (manifest, joint key K, context H_C), lets the
 * voter prove who may vote (a roll key file read here, or, for a credential
 * election, the wallet in this browser — or a pseudonym and a presentation from a
 * wallet elsewhere), choose, encrypt and prove in the page (ballot/booth.js), then
 * challenge (POST the ballot with its nonces, show what they open) or cast (POST
 * the ballot with its eligibility, show the receipt to save).
 *
 * The wallet in this browser (docs/wallet.md §5): this page imports
 * /static/js/wallet/index.js (for credential elections only), opens the same
 * IndexedDB record as /wallet with the passphrase typed here, takes the
 * credential's pseudonym for this election as the ballot's voter, and at cast
 * makes the eligibility presentation for the ballot's hash in the page. The
 * wallet is locked again when the page is left.
 *
 * What leaves the page: the ballot (ciphertexts and proofs under the voter's
 * pseudonym) with the roll signature or the wallet's presentation, or, for a
 * challenge only, the ballot with its nonces and selections — public by design
 * (docs/voting.md §3 voting.challenge). The roll key and the unlocked wallet stay
 * in this module's memory; choices live in the form and in memory only.
 */

import {
  challengeBody,
  decryptChallenge,
  jointKeyPoint,
  makeBallot,
  presentationRequest,
  rollVoterOf,
  signRoll,
} from '../ballot/booth.js';
import {
  BoothInputError,
  KEY_FILE_MAX,
  PRESENTATION_MAX,
  chosenLabels,
  contestControl,
  eligibilityFromPresentation,
  parseRollKeyFile,
  pseudonymFrom,
  receiptFileName,
  rollKeyInfo,
  sameSelections,
  selectionsOf,
} from './booth-form.js';

const root = document.getElementById('booth');
const $ = (id) => document.getElementById(id);
const election = root.dataset.election;
const api = root.dataset.api;
const base = `${api}/elections/${encodeURIComponent(election)}`;

const state = {
  manifest: null,
  key: null, // K as a prepared point
  context: null, // H_C (hex)
  seed: null, // the roll key (32 bytes), in memory only
  voter: null, // the pseudonym the ballot carries (hex)
  made: null, // the sealed ballot, until it is cast or challenged
  chosen: null, // the selections it encrypts
  urls: [],
  walletApi: null, // /static/js/wallet/index.js, loaded for credential elections
  walletStore: null,
  wallet: null, // the unlocked wallet, in memory only
  walletCred: null, // the id of the credential the ballot's pseudonym is from
};

class ApiError extends Error {
  constructor(status, doc) {
    const detail = doc && typeof doc.detail === 'string' ? doc.detail : `HTTP ${status}`;
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = doc && typeof doc.error === 'string' ? doc.error : 'http_error';
  }
}

// ---------------------------------------------------------------- plumbing

async function getJson(url) {
  const r = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const doc = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, doc);
  return doc;
}

async function postJson(url, body) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    cache: 'no-store',
    credentials: 'same-origin',
  });
  const doc = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, doc);
  return doc;
}

function status(text) {
  $('booth-status').textContent = text;
}

function alertBox(text) {
  const box = $('booth-alert');
  if (!text) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.textContent = text;
  box.hidden = false;
  box.focus();
}

function explain(e) {
  if (e instanceof ApiError) return `The board refused: ${e.message} (${e.code}).`;
  if (e instanceof BoothInputError) return e.message;
  if (e?.name === 'PresentationError') return `Your wallet cannot prove this: ${e.detail}`;
  if (e?.name === 'WalletError') return e.message;
  if (e instanceof TypeError && /fetch/i.test(e.message)) {
    return 'The server could not be reached. Nothing was sent; try again.';
  }
  return `Something went wrong in the page: ${e?.message ?? e}`;
}

function show(id, focus = true) {
  const el = $(id);
  el.hidden = false;
  if (focus) {
    const heading = el.querySelector('h2');
    (heading ?? el).focus();
  }
}

function hide(...ids) {
  for (const id of ids) $(id).hidden = true;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (k in node && k !== 'for') node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function download(anchor, name, doc) {
  const blob = new Blob([`${JSON.stringify(doc, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  state.urls.push(url);
  anchor.href = url;
  anchor.download = name;
}

async function readFile(input, max, what) {
  const file = input.files?.[0];
  if (!file) return null;
  if (file.size > max) throw new BoothInputError(`This ${what} is too large.`);
  return file.text();
}

// ----------------------------------------------------------------- loading

async function load() {
  const info = await getJson(base);
  if (info.phase !== 'open') {
    status(`This election is not open for ballots (phase: ${info.phase}).`);
    return;
  }
  if (!info.joint_key || !info.context) {
    status('This election has no joint key yet: no ballots can be cast now.');
    return;
  }
  state.manifest = info.manifest;
  state.key = jointKeyPoint(info.joint_key);
  state.context = info.context;
  buildContests(info.manifest);
  const closes = new Date(info.closes);
  const when = Number.isNaN(closes.getTime()) ? info.closes : closes.toLocaleString();
  if (info.eligibility === 'roll') {
    status(`The election is open until ${when}. Load your voting key to begin.`);
    show('step-key', false);
  } else {
    status(`The election is open until ${when}. Open your wallet to begin.`);
    show('step-pseudonym', false);
    await initWallet();
  }
}

function buildContests(manifest) {
  const box = $('contests');
  box.replaceChildren();
  manifest.contests.forEach((contest, c) => {
    const control = contestControl(contest);
    const id = `contest-${c}`;
    const rule = el('p', { className: 'hint', id: `${id}-rule`, text: control.rule });
    const error = el('p', { className: 'field-error', id: `${id}-error`, hidden: true });
    const list = el('div', { className: 'choices' });
    for (const choice of control.choices) {
      const inputId = `${id}-${choice.value}`;
      const input = el('input', {
        type: control.kind,
        id: inputId,
        name: id,
        value: choice.value,
      });
      input.setAttribute('aria-describedby', `${id}-rule ${id}-error`);
      const label = el('label', { for: inputId, text: choice.label });
      list.append(
        el('div', { className: choice.blank ? 'choice choice-blank' : 'choice' }, input, label),
      );
    }
    const fieldset = el(
      'fieldset',
      { className: 'contest', id, 'data-contest': contest.id },
      el('legend', { text: contest.title }),
      rule,
      list,
      error,
    );
    fieldset.addEventListener('change', () => checkContest(c, { onlyOver: true }));
    box.append(fieldset);
  });
}

function picked() {
  return state.manifest.contests.map((_, c) =>
    [...document.querySelectorAll(`#contest-${c} input:checked`)].map((i) => Number(i.value)),
  );
}

/** Show or clear one contest's count problem (while choosing: only an over-vote). */
function checkContest(c, { onlyOver = false } = {}) {
  const contest = state.manifest.contests[c];
  const count = picked()[c].length;
  const { problems } = selectionsOf({ contests: [contest] }, [picked()[c]]);
  const problem = problems[0] && (!onlyOver || count > contest.max) ? problems[0] : null;
  const error = $(`contest-${c}-error`);
  error.textContent = problem ? `${contest.title}: ${problem.message}` : '';
  error.hidden = !problem;
  for (const input of document.querySelectorAll(`#contest-${c} input`)) {
    if (problem) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  return problem;
}

// -------------------------------------------------------------- who votes

async function onKeyFile() {
  const input = $('key-file');
  const out = $('key-status');
  state.seed?.fill(0);
  state.seed = null;
  state.voter = null;
  resetBallot();
  hide('ballot-form');
  try {
    const text = await readFile(input, KEY_FILE_MAX, 'key file');
    if (text === null) return;
    const seed = parseRollKeyFile(text);
    const { publicKey, onRoll } = rollKeyInfo(seed, state.manifest);
    if (!onRoll) {
      seed.fill(0);
      throw new BoothInputError(
        `This key (public key ${publicKey.slice(0, 16)}…) is not on this election's roll.`,
      );
    }
    state.seed = seed;
    state.voter = rollVoterOf(seed);
    out.textContent = `✓ Key loaded: public key ${publicKey.slice(0, 16)}… is on the roll.`;
    out.className = 'key-status ok';
    alertBox(null);
    status('Your key is loaded. Make your choices.');
    show('ballot-form');
  } catch (e) {
    out.textContent = `✗ ${explain(e)}`;
    out.className = 'key-status bad';
  } finally {
    input.value = ''; // the page keeps the key in memory only, not the file
  }
}

// ------------------------------------------------- the wallet in this browser

async function initWallet() {
  try {
    state.walletApi = await import('../wallet/index.js');
    state.walletStore = await state.walletApi.walletStore();
  } catch {
    state.walletStore = null;
  }
  $('wallet-none').hidden = state.walletStore !== null;
  $('wallet-unlock-form').hidden = state.walletStore === null;
}

async function onWalletUnlock(event) {
  event.preventDefault();
  const out = $('wallet-status');
  const button = $('wallet-unlock');
  button.disabled = true;
  out.textContent = 'Unlocking your wallet…';
  out.className = 'key-status';
  await nextFrame();
  try {
    state.wallet?.lock();
    state.wallet = await state.walletApi.Wallet.unlock(state.walletStore, $('wallet-pass').value);
  } catch (e) {
    state.wallet = null;
    out.textContent =
      e instanceof state.walletApi.WrongPassphrase ? '✗ Wrong passphrase.' : `✗ ${explain(e)}`;
    out.className = 'key-status bad';
    return;
  } finally {
    button.disabled = false;
    $('wallet-pass').value = '';
  }
  const rule = state.manifest.eligibility;
  const creds = state.wallet.credentialsFor(rule.issuer, rule.schema);
  if (!creds.length) {
    out.textContent = `✗ Your wallet has no ${rule.schema} credential from ${rule.issuer}: get one in the wallet first.`;
    out.className = 'key-status bad';
    return;
  }
  const select = $('wallet-credential');
  select.replaceChildren(
    ...creds.map((c) =>
      el('option', { value: c.id, text: `${c.title} · valid until ${c.validUntil} · ${c.id}` }),
    ),
  );
  out.textContent = `✓ Wallet unlocked: ${creds.length} credential(s) for this election.`;
  out.className = 'key-status ok';
  $('wallet-unlock-form').hidden = true;
  $('wallet-choose').hidden = false;
  $('wallet-use').focus();
}

function onWalletUse() {
  const out = $('wallet-status');
  resetBallot();
  hide('ballot-form');
  try {
    const cid = $('wallet-credential').value;
    state.voter = pseudonymFrom(state.wallet.pseudonym(cid, election), election);
    state.walletCred = cid;
  } catch (e) {
    state.voter = null;
    state.walletCred = null;
    out.textContent = `✗ ${explain(e)}`;
    out.className = 'key-status bad';
    return;
  }
  out.textContent = `✓ Your pseudonym in this election, from your wallet: ${state.voter.slice(0, 16)}…`;
  out.className = 'key-status ok';
  $('pseudonym-status').textContent = '';
  status('Make your choices.');
  show('ballot-form');
}

function walletProof(made) {
  const request = presentationRequest(state.manifest, made.ballotHash);
  const plan = state.wallet.plan(state.walletCred, request);
  $('wallet-proof-list').replaceChildren(
    ...plan.disclosed.map((d) => el('li', { text: `${d.name} = ${JSON.stringify(d.value)}` })),
    ...plan.predicates.map((p) => el('li', { text: `${p} (without showing the value)` })),
    el('li', { text: `your pseudonym in ${election}: ${state.voter.slice(0, 16)}…` }),
  );
}

function onPseudonym() {
  const out = $('pseudonym-status');
  state.voter = null;
  state.walletCred = null;
  resetBallot();
  hide('ballot-form');
  try {
    state.voter = pseudonymFrom($('pseudonym').value, election);
    out.textContent = `✓ Pseudonym ${state.voter.slice(0, 16)}…`;
    out.className = 'key-status ok';
    status('Make your choices.');
    show('ballot-form');
  } catch (e) {
    out.textContent = `✗ ${explain(e)}`;
    out.className = 'key-status bad';
  }
}

// ------------------------------------------------------------ the ballot

async function onEncrypt(event) {
  event.preventDefault();
  alertBox(null);
  const errors = $('form-errors');
  const { selections, problems } = selectionsOf(state.manifest, picked());
  state.manifest.contests.forEach((_, c) => checkContest(c));
  if (problems.length) {
    errors.replaceChildren(
      el('p', { text: 'Your ballot cannot be encrypted yet:' }),
      el(
        'ul',
        {},
        ...problems.map((p) => {
          const c = state.manifest.contests.findIndex((x) => x.id === p.contest);
          const link = el('a', { href: `#contest-${c}`, text: `${p.title}: ${p.message}` });
          link.addEventListener('click', (ev) => {
            ev.preventDefault();
            document.querySelector(`#contest-${c} input`)?.focus();
          });
          return el('li', {}, link);
        }),
      ),
    );
    errors.hidden = false;
    errors.focus();
    return;
  }
  errors.hidden = true;
  errors.replaceChildren();
  $('encrypt').disabled = true;
  $('choices').disabled = true;
  status('Encrypting and proving your ballot in this page…');
  await nextFrame();
  try {
    state.made = makeBallot(state.manifest, state.context, state.key, selections, {
      voter: state.voter,
    });
    state.chosen = selections;
  } catch (e) {
    $('choices').disabled = false;
    $('encrypt').disabled = false;
    status('The ballot could not be made.');
    alertBox(explain(e));
    return;
  }
  sealed();
}

function fillChoices(dl, rows) {
  dl.replaceChildren();
  for (const row of rows) {
    dl.append(
      el('dt', { text: row.title }),
      el('dd', { text: row.chosen.length ? row.chosen.join(', ') : '(no choice)' }),
    );
  }
}

function sealed() {
  const made = state.made;
  $('tracker').textContent = made.tracker;
  fillChoices($('sealed-choices'), chosenLabels(state.manifest, state.chosen));
  $('encrypt').hidden = true;
  if (state.manifest.eligibility.type === 'credential' && state.walletCred) {
    walletProof(made);
    $('wallet-proof').hidden = false;
  } else if (state.manifest.eligibility.type === 'credential') {
    const request = presentationRequest(state.manifest, made.ballotHash);
    $('request-json').textContent = JSON.stringify(request, null, 2);
    download($('request-save'), `request-${election}-${made.tracker.slice(0, 12)}.json`, request);
    $('presentation-text').value = '';
    $('presentation-file').value = '';
    $('presentation-step').hidden = false;
  }
  $('cast').disabled = false;
  $('challenge').disabled = false;
  status(`Your ballot is encrypted. Tracker ${made.tracker.slice(0, 16)}…: cast it or challenge it.`);
  show('step-sealed');
}

async function eligibility(made) {
  if (state.manifest.eligibility.type === 'roll') return null;
  if (state.walletCred) {
    status('Your wallet proves in this page that you may vote…');
    await nextFrame();
    const request = presentationRequest(state.manifest, made.ballotHash);
    const vp = state.wallet.present(state.walletCred, request);
    return eligibilityFromPresentation(vp, { ballotHash: made.ballotHash, voter: state.voter, election });
  }
  const fromFile = await readFile($('presentation-file'), PRESENTATION_MAX, 'presentation');
  const text = fromFile ?? $('presentation-text').value;
  if (!text.trim()) {
    throw new BoothInputError("Load or paste your wallet's presentation for this ballot first.");
  }
  return eligibilityFromPresentation(text, {
    ballotHash: made.ballotHash,
    voter: state.voter,
    election,
  });
}

async function onCast() {
  const made = state.made;
  if (!made) return;
  alertBox(null);
  $('cast').disabled = true;
  $('challenge').disabled = true;
  try {
    const body =
      state.manifest.eligibility.type === 'roll'
        ? signRoll(made.body, state.seed)
        : { ballot: made.body, eligibility: await eligibility(made) };
    status('Casting your ballot…');
    const receipt = await postJson(`${base}/ballots`, body);
    state.made = null;
    state.chosen = null;
    castDone(receipt, made);
  } catch (e) {
    $('cast').disabled = false;
    $('challenge').disabled = false;
    status('Your ballot was not cast.');
    alertBox(explain(e));
  }
}

function castDone(receipt, made) {
  if (receipt.ballot !== made.ballotHash) {
    alertBox("The board's receipt is for another ballot than the one this page made.");
  }
  hide('step-sealed', 'ballot-form');
  const entry = $('cast-entry');
  entry.textContent = String(receipt.index);
  entry.href = `/board/entries/${receipt.index}`;
  $('cast-tracker').textContent = receipt.ballot;
  $('receipt-json').textContent = JSON.stringify(receipt, null, 2);
  download($('receipt-save'), receiptFileName(receipt), receipt);
  $('revote').hidden = state.manifest.revote !== 'last';
  status(`Your ballot is cast: entry ${receipt.index} of the board. Save your receipt.`);
  show('step-cast');
}

async function onChallenge() {
  const made = state.made;
  if (!made) return;
  alertBox(null);
  $('cast').disabled = true;
  $('challenge').disabled = true;
  const chosen = state.chosen;
  const body = challengeBody(made);
  status('Challenging your ballot…');
  let posted;
  try {
    posted = await postJson(`${base}/challenges`, body);
  } catch (e) {
    $('cast').disabled = false;
    $('challenge').disabled = false;
    status('The challenge was not posted.');
    alertBox(explain(e));
    return;
  }
  // Never castable again: the page forgets it, the board refuses it.
  state.made = null;
  state.chosen = null;
  let opened;
  try {
    opened = decryptChallenge(body, state.manifest, state.key);
  } catch (e) {
    opened = null;
    alertBox(`The ballot's nonces do not open it: do not vote on this device. (${explain(e)})`);
  }
  const entry = $('challenge-entry');
  entry.textContent = String(posted.index);
  entry.href = `/board/entries/${posted.index}`;
  const verdict = $('challenge-verdict');
  if (opened) {
    const decrypted = opened.map((row) => row.selections);
    fillChoices($('challenge-choices'), chosenLabels(state.manifest, decrypted));
    const same = sameSelections(decrypted, chosen);
    verdict.textContent = same
      ? '✓ This is what you chose: the page encrypted your choices faithfully.'
      : '✗ This is NOT what you chose: this device changed your vote. Do not vote on it; report it.';
    verdict.className = same ? 'verdict ok' : 'verdict bad';
  } else {
    $('challenge-choices').replaceChildren();
    verdict.textContent = '✗ The challenged ballot could not be opened.';
    verdict.className = 'verdict bad';
  }
  hide('step-sealed');
  status('Your ballot was challenged and published; it will never count. Start again to vote.');
  show('step-challenged');
}

/** Forget the sealed ballot (if any) and unlock the choices. */
function resetBallot() {
  state.made = null;
  state.chosen = null;
  for (const url of state.urls.splice(0)) URL.revokeObjectURL(url);
  hide('step-challenged', 'step-cast', 'step-sealed', 'presentation-step', 'wallet-proof');
  $('choices').disabled = false;
  $('encrypt').disabled = false;
  $('encrypt').hidden = false;
}

function restart() {
  resetBallot();
  alertBox(null);
  status('Make your choices: a new ballot will be encrypted with fresh randomness.');
  show('ballot-form');
}

// ------------------------------------------------------------------ wiring

function wire() {
  $('ballot-form').addEventListener('submit', onEncrypt);
  $('cast').addEventListener('click', onCast);
  $('challenge').addEventListener('click', onChallenge);
  $('restart').addEventListener('click', restart);
  $('vote-again').addEventListener('click', restart);
  $('key-file')?.addEventListener('change', onKeyFile);
  $('pseudonym-use')?.addEventListener('click', onPseudonym);
  $('wallet-unlock-form')?.addEventListener('submit', onWalletUnlock);
  $('wallet-use')?.addEventListener('click', onWalletUse);
  window.addEventListener('pagehide', () => {
    state.seed?.fill(0);
    state.wallet?.lock();
    for (const url of state.urls) URL.revokeObjectURL(url);
  });
  // back from the page cache: the wallet was locked on leaving, start afresh
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && state.wallet) location.reload();
  });
}

wire();
load().catch((e) => {
  status('The election could not be loaded.');
  alertBox(explain(e));
});
