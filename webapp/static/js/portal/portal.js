/**
 * The patient portal page (webapp/templates/portal.html, webapp/pages_portal.py).
 *
 * 1. The patient loads the key file `pnyx health patient new` wrote; the page keeps
 *    the master secret in memory (keys.js) and derives a pseudonym for every provider
 *    the board names (`GET /providers`), asking for each one separately
 *    (`GET /pseudonyms/{pid}`: 404 for none), then its records, grants and access log.
 * 2. Reading a record: the page signs a read request (`grant: null`) with the
 *    pseudonym's key; the server, as gateway, appends it to the board and releases the
 *    blob with the record key sealed for the pseudonym; the page checks the blob
 *    against its commitment, opens the key and decrypts in the page (sealing.js) and
 *    shows the FHIR resources (fhir.js).
 * 3. Granting: the patient picks a doctor (a grantee of an earlier grant, or a new
 *    card `{"sign", "box"}`), records and a duration; the page re-seals each record's
 *    key for the doctor's box key and signs one grant per pseudonym; the server posts
 *    them. Revoking: the page signs `{"grant"}`.
 * 4. The access log: every read, emergency (break-glass) reads marked with a badge,
 *    the words "Emergency access" and the reason.
 *
 * What leaves the page: GETs naming pseudonym ids (public on the board), signed read
 * requests, signed grants whose keys are sealed boxes, signed revocations. Never the
 * key file, a derived secret, a record key or a plaintext. Names given to doctors stay
 * in this browser's local storage (public keys and names only).
 */

import { outline, summarize } from './fhir.js';
import {
  KEY_FILE_MAX,
  KeyInputError,
  keyFileText,
  parseCard,
  parsePatientKeyFile,
  parseRecord,
} from './keys.js';
import { RecordUndecryptable } from './sealing.js';

const $ = (id) => document.getElementById(id);
const root = $('portal');
const api = root.dataset.api;
const gatewayOn = root.dataset.gateway === 'on';
const maxSkew = Number(root.dataset.maxSkew) || 300;
const NAMES_KEY = 'pnyx.portal.names';
const MAX_DAYS = 3660;
const DAY_MS = 86_400_000;

const state = {
  key: null,
  pseudonyms: new Map(), // pid -> Pseudonym
  providers: new Map(), // board key id -> name
  records: [], // the API's records, oldest first
  grants: [],
  log: [],
  opened: new Map(), // sha256 -> one-line outline of a record read in this page
  offset: 0, // ms to add to this device's clock (when it is far from the server's)
  busy: false,
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

async function getJson(path) {
  const r = await fetch(api + path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  const doc = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, doc);
  return { doc, date: r.headers.get('date') };
}

async function postJson(path, body) {
  const r = await fetch(api + path, {
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

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else if (k in node && k !== 'for') node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function status(text) {
  $('portal-status').textContent = text;
}

function alertBox(text) {
  const box = $('portal-alert');
  box.textContent = text ?? '';
  box.hidden = !text;
  if (text) box.focus();
}

function explain(e) {
  if (e instanceof ApiError) {
    if (e.code === 'stale_request') {
      return `The server refused the request's time: check this device's clock (${e.message}).`;
    }
    return `The server refused: ${e.message} (${e.code}).`;
  }
  if (e instanceof KeyInputError) return e.message;
  if (e instanceof RecordUndecryptable) return `The record could not be opened: ${e.message}.`;
  if (e instanceof TypeError && /fetch/i.test(e.message)) {
    return 'The server could not be reached. Nothing was sent; try again.';
  }
  return `Something went wrong in the page: ${e?.message ?? e}`;
}

/** The server's time as this page estimates it, RFC 3339 UTC to the second. */
function now(plusMs = 0) {
  return new Date(Date.now() + state.offset + plusMs).toISOString().slice(0, 19) + 'Z';
}

/** Follow the server's clock when this device's is off by more than half the allowed skew. */
function noteServerDate(header) {
  const t = Date.parse(header ?? '');
  if (Number.isNaN(t)) return;
  const off = t - Date.now();
  state.offset = Math.abs(off) > (maxSkew * 1000) / 2 ? off : 0;
}

function when(t) {
  return typeof t === 'string' ? `${t.slice(0, 10)} ${t.slice(11, 16)} UTC` : '';
}

function short(hex, n = 12) {
  return `${hex.slice(0, n)}…`;
}

function plural(n, word, suffix = 's') {
  return `${n} ${word}${n === 1 ? '' : suffix}`;
}

function names() {
  try {
    const doc = JSON.parse(localStorage.getItem(NAMES_KEY) ?? '{}');
    return doc && typeof doc === 'object' ? doc : {};
  } catch {
    return {};
  }
}

function rememberName(sign, label) {
  try {
    localStorage.setItem(NAMES_KEY, JSON.stringify({ ...names(), [sign]: label }));
  } catch {
    // storage may be disabled: the name is then only shown until the page is closed
  }
}

function readerName(sign) {
  const label = names()[sign];
  return typeof label === 'string' && label ? label : `doctor key ${short(sign, 8)}`;
}

function providerName(kid) {
  return state.providers.get(kid) ?? `provider ${short(kid, 8)}`;
}

function recordName(sha) {
  const rec = state.records.find((r) => r.sha256 === sha);
  if (!rec) return `record ${short(sha)}`;
  return `${providerName(rec.provider)}, ${when(rec.time)} (entry ${rec.index})`;
}

// ------------------------------------------------------------------- load

async function loadKey(file) {
  alertBox(null);
  const out = $('key-status');
  out.textContent = '';
  forget();
  if (!file) return;
  try {
    if (file.size > KEY_FILE_MAX) {
      throw new KeyInputError('This is not a patient key file (it is too large).');
    }
    const key = parsePatientKeyFile(keyFileText(new Uint8Array(await file.arrayBuffer())));
    state.key = key;
    $('forget').hidden = false;
    out.textContent = '✓ Key loaded (on this device only). Looking for your pseudonyms…';
    await loadAll();
    const n = state.pseudonyms.size;
    const at = [...state.pseudonyms.values()].map((p) => providerName(p.provider));
    out.textContent =
      `✓ Key loaded (on this device only): ${plural(n, 'pseudonym')}, ` +
      `at ${at.join(', ') || 'no provider yet'}.`;
  } catch (e) {
    forget();
    out.textContent = `✗ ${explain(e)}`;
  }
}

/** Find the patient's pseudonyms and load their records, grants and log. */
async function loadAll() {
  status('Looking for your records…');
  const { doc, date } = await getJson('/providers');
  noteServerDate(date);
  state.providers = new Map(doc.providers.map((p) => [p.key_id, p.name]));
  const found = new Map();
  for (const p of doc.providers) {
    const ps = state.key.pseudonym(p.key_id);
    try {
      const reg = (await getJson(`/pseudonyms/${ps.id}`)).doc;
      if (!ps.matches(reg)) {
        throw new KeyInputError(`${p.name} registered other keys for this pseudonym.`);
      }
      found.set(ps.id, ps);
    } catch (e) {
      ps.forget();
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
  }
  state.pseudonyms = found;
  await Promise.all([loadRecords(), loadGrants(), loadLog()]);
  for (const id of ['records', 'grants', 'log']) $(id).hidden = false;
  $('grant-form').hidden = !gatewayOn || state.records.length === 0;
  renderAll();
  const n = state.records.length;
  status(n ? `${plural(n, 'record')} found.` : 'No records found for this key.');
}

async function perPseudonym(what) {
  const parts = await Promise.all(
    [...state.pseudonyms.keys()].map(async (pid) => (await getJson(`/pseudonyms/${pid}/${what}`)).doc),
  );
  return parts;
}

async function loadRecords() {
  const parts = await perPseudonym('records');
  state.records = parts.flatMap((p) => p.records).sort((a, b) => a.index - b.index);
}

async function loadGrants() {
  const parts = await perPseudonym('grants');
  state.grants = parts.flatMap((p) => p.grants).sort((a, b) => a.index - b.index);
}

async function loadLog() {
  const parts = await perPseudonym('log');
  state.log = parts.flatMap((p) => p.items).sort((a, b) => a.index - b.index);
}

function forget() {
  state.key?.forget();
  for (const p of state.pseudonyms.values()) p.forget();
  state.key = null;
  state.pseudonyms = new Map();
  state.records = [];
  state.grants = [];
  state.log = [];
  state.opened = new Map();
  for (const id of ['records', 'record-view', 'grants', 'grant-form', 'log', 'forget']) {
    $(id).hidden = true;
  }
  for (const id of ['records-body', 'grants-body', 'log-body', 'record-content', 'grant-records']) {
    $(id).replaceChildren();
  }
  $('record-json').textContent = '';
  status('Load your key to see your records.');
}

// ----------------------------------------------------------------- render

function renderAll() {
  renderRecords();
  renderGrants();
  renderGrantForm();
  renderLog();
}

function renderRecords() {
  const body = $('records-body');
  body.replaceChildren();
  $('records-empty').hidden = state.records.length > 0;
  $('records-table').hidden = state.records.length === 0;
  for (const rec of state.records) {
    const read = el('button', {
      type: 'button',
      class: 'button button-small',
      text: 'Read',
      disabled: !gatewayOn,
      'aria-label': `Read the record from ${providerName(rec.provider)} written ${when(rec.time)}`,
    });
    read.dataset.record = rec.sha256;
    read.addEventListener('click', () => readRecord(rec, read));
    const opened = state.opened.get(rec.sha256);
    body.append(
      el(
        'tr',
        { 'data-record': rec.sha256 },
        el('td', { text: providerName(rec.provider) }),
        el('td', { text: when(rec.time) }),
        el('td', {}, el('code', { class: 'hash', title: rec.sha256, text: short(rec.sha256) })),
        el('td', { class: 'num opt', text: `${rec.size} B` }),
        el('td', { class: opened ? '' : 'muted', text: opened ?? 'encrypted' }),
        el('td', {}, read),
      ),
    );
  }
}

function statusBadge(g) {
  if (g.status === 'active') return el('span', { class: 'badge badge-ok', text: 'Active' });
  if (g.status === 'expired') return el('span', { class: 'badge badge-warn', text: 'Expired' });
  return el('span', { class: 'badge badge-fail', text: `Revoked (entry ${g.revoked})` });
}

function renderGrants() {
  const body = $('grants-body');
  body.replaceChildren();
  $('grants-empty').hidden = state.grants.length > 0;
  $('grants-table').hidden = state.grants.length === 0;
  for (const g of state.grants) {
    const who = readerName(g.grantee.sign);
    const action = el('td');
    if (g.status === 'active' && gatewayOn) {
      const b = el('button', {
        type: 'button',
        class: 'button button-secondary button-small',
        text: 'Revoke',
        'aria-label': `Revoke the grant to ${who}`,
      });
      b.addEventListener('click', () => revoke(g, b));
      action.append(b);
    }
    const items = g.records.map((sha) => el('li', { text: recordName(sha) }));
    const recs = el('ul', { class: 'plain' }, ...items);
    const id = el('code', { class: 'small', title: g.grant, text: `grant ${short(g.grant, 8)}` });
    body.append(
      el(
        'tr',
        { 'data-grant': g.grant, 'data-status': g.status },
        el('td', {}, who, el('br'), id),
        el('td', {}, recs),
        el('td', { text: when(g.expires) }),
        el('td', {}, statusBadge(g)),
        action,
      ),
    );
  }
}

function knownGrantees() {
  const seen = new Map();
  for (const g of state.grants) seen.set(g.grantee.sign, g.grantee);
  return [...seen.values()];
}

function renderGrantForm() {
  const select = $('grantee');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: 'new', text: 'Someone new (their card below)' }));
  for (const g of knownGrantees()) {
    select.append(el('option', { value: g.sign, text: readerName(g.sign) }));
  }
  if ([...select.options].some((o) => o.value === chosen)) select.value = chosen;
  $('grantee-new').hidden = select.value !== 'new';
  const box = $('grant-records');
  const ticked = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
  box.replaceChildren();
  state.records.forEach((rec, i) => {
    const id = `grant-record-${i}`;
    const extra = state.opened.get(rec.sha256);
    box.append(
      el(
        'div',
        { class: 'check-row' },
        el('input', { type: 'checkbox', id, value: rec.sha256, checked: ticked.has(rec.sha256) }),
        el('label', { for: id, text: `${recordName(rec.sha256)}${extra ? ` (${extra})` : ''}` }),
      ),
    );
  });
  showUntil();
}

function showUntil() {
  const days = Number($('grant-days').value);
  $('grant-until').textContent =
    Number.isInteger(days) && days >= 1 && days <= MAX_DAYS
      ? `Until ${when(now(days * DAY_MS))}.`
      : `A whole number of days, 1 to ${MAX_DAYS}.`;
}

function renderLog() {
  const body = $('log-body');
  body.replaceChildren();
  $('log-empty').hidden = state.log.length > 0;
  $('log-table').hidden = state.log.length === 0;
  const emergencies = state.log.filter((i) => i.emergency).length;
  const summary = $('log-summary');
  summary.replaceChildren();
  if (state.log.length) {
    summary.append(`${plural(state.log.length, 'read')} of your records`);
    if (emergencies) {
      summary.append(
        ', ',
        el('span', { class: 'badge badge-fail', text: plural(emergencies, 'emergency access', 'es') }),
        ' without your consent.',
      );
    } else summary.append(', none of them an emergency access.');
  }
  for (const item of state.log) {
    let who;
    let how;
    if (item.via === 'emergency') {
      who = el('span', {}, el('strong', { text: 'Emergency service: ' }), item.reader);
      how = el(
        'span',
        {},
        el('span', { class: 'badge badge-fail', text: '⚠ Emergency access' }),
        ' Break-glass read without your consent. Reason: ',
        el('q', { text: item.reason ?? '' }),
      );
    } else if (item.via === 'grant') {
      who = readerName(item.reader);
      how = `Under your grant ${short(item.grant ?? '', 8)}`;
    } else {
      who = 'You';
      how = 'Your own read';
    }
    const entryLink = el('a', { href: `/board/entries/${item.index}`, text: String(item.index) });
    body.append(
      el(
        'tr',
        {
          class: item.emergency ? 'log-emergency' : '',
          'data-via': item.via,
          'data-index': String(item.index),
        },
        el('td', { text: when(item.time) }),
        el('td', {}, who),
        el('td', { text: recordName(item.record) }),
        el('td', {}, how),
        el('td', { class: 'num opt' }, entryLink),
      ),
    );
  }
}

function renderRecord(rec, doc, release) {
  $('record-meta').textContent =
    `From ${providerName(rec.provider)}, written ${when(rec.time)} (board entry ${rec.index}). ` +
    `Your read is board entry ${release.access_index}.`;
  $('record-verdict').textContent =
    '✓ Decrypted in this page: the blob matches its commitment on the board and opens with your key.';
  const content = $('record-content');
  content.replaceChildren();
  for (const res of summarize(doc)) {
    const dl = el('dl', { class: 'kv' });
    for (const [label, value] of res.facts) {
      dl.append(el('dt', { text: label }), el('dd', { text: value }));
    }
    const heading = el('h3', { text: res.title });
    content.append(el('article', { class: 'resource', 'data-type': res.type }, heading, dl));
  }
  $('record-json').textContent = JSON.stringify(doc, null, 2);
  const view = $('record-view');
  view.hidden = false;
  view.dataset.record = rec.sha256;
  $('record-view-h').focus();
}

// ---------------------------------------------------------------- actions

async function guarded(button, work) {
  if (state.busy) return;
  state.busy = true;
  if (button) button.disabled = true;
  alertBox(null);
  try {
    await work();
  } catch (e) {
    alertBox(explain(e));
  } finally {
    state.busy = false;
    if (button && button.isConnected) button.disabled = false;
  }
}

function readRecord(rec, button) {
  return guarded(button, async () => {
    const ps = state.pseudonyms.get(rec.patient);
    if (!ps) throw new KeyInputError('This record is not under one of your pseudonyms.');
    status('Reading the record (the read is logged on the board)…');
    const release = await postJson('/gateway/reads', ps.request(rec.sha256, now()));
    const doc = parseRecord(ps.openRelease(rec.sha256, release));
    state.opened.set(rec.sha256, outline(doc));
    renderRecord(rec, doc, release);
    await loadLog();
    renderRecords();
    renderGrantForm();
    renderLog();
    status(`Record read and decrypted in this page; the read is board entry ${release.access_index}.`);
  });
}

function grantErrors(list) {
  const box = $('grant-errors');
  box.replaceChildren();
  box.hidden = list.length === 0;
  if (list.length) {
    box.append(el('ul', {}, ...list.map((t) => el('li', { text: t }))));
    box.focus();
  }
}

async function chosenGrantee() {
  const sel = $('grantee').value;
  if (sel !== 'new') {
    const g = knownGrantees().find((x) => x.sign === sel);
    return { card: { sign: g.sign, box: g.box }, label: null };
  }
  const file = $('grantee-card-file').files[0];
  let text = $('grantee-card').value.trim();
  if (!text && file) {
    if (file.size > KEY_FILE_MAX) throw new KeyInputError('The card file is too large to be a card.');
    text = await file.text();
  }
  if (!text) throw new KeyInputError('Give the doctor\'s card: paste it or load its file.');
  return { card: parseCard(text), label: $('grantee-label').value.trim() || null };
}

function grant(event) {
  event.preventDefault();
  const button = $('grant-submit');
  return guarded(button, async () => {
    const problems = [];
    let grantee = null;
    try {
      grantee = await chosenGrantee();
    } catch (e) {
      problems.push(explain(e));
    }
    const shas = [...$('grant-records').querySelectorAll('input:checked')].map((i) => i.value);
    if (shas.length === 0) problems.push('Choose at least one record to share.');
    const days = Number($('grant-days').value);
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      problems.push(`The duration is a whole number of days, 1 to ${MAX_DAYS}.`);
    }
    grantErrors(problems);
    if (problems.length) return;
    const expires = now(days * DAY_MS);
    const groups = new Map();
    for (const sha of shas) {
      const rec = state.records.find((r) => r.sha256 === sha);
      if (!groups.has(rec.patient)) groups.set(rec.patient, []);
      groups.get(rec.patient).push(rec);
    }
    // sign every grant first (one per pseudonym), then post them
    const bodies = [...groups].map(([pid, recs]) =>
      state.pseudonyms.get(pid).grant(grantee.card, recs, expires),
    );
    if (grantee.label) rememberName(grantee.card.sign, grantee.label);
    const posted = [];
    try {
      for (const body of bodies) posted.push(await postJson('/gateway/grants', body));
    } finally {
      await loadGrants();
      renderGrants();
      renderGrantForm();
    }
    $('grantee-card').value = '';
    $('grantee-card-file').value = '';
    $('grantee-label').value = '';
    for (const box of $('grant-records').querySelectorAll('input:checked')) box.checked = false;
    const n = shas.length;
    status(
      `✓ Access granted to ${readerName(grantee.card.sign)}: ${plural(n, 'record')} ` +
        `until ${when(expires)} (${plural(posted.length, 'grant')} on the board).`,
    );
  });
}

function revoke(g, button) {
  return guarded(button, async () => {
    const ps = state.pseudonyms.get(g.patient);
    if (!ps) throw new KeyInputError('This grant is not under one of your pseudonyms.');
    const out = await postJson('/gateway/revocations', ps.revoke(g.grant));
    await loadGrants();
    renderGrants();
    renderGrantForm();
    status(`✓ The grant to ${readerName(g.grantee.sign)} is revoked (board entry ${out.revoked}).`);
  });
}

function refresh() {
  return guarded($('refresh'), async () => {
    await Promise.all([loadRecords(), loadGrants(), loadLog()]);
    renderAll();
    status('Up to date with the board.');
  });
}

// ------------------------------------------------------------------- wire

$('key-file').addEventListener('change', (e) => loadKey(e.target.files[0]));
$('forget').addEventListener('click', () => {
  forget();
  $('key-file').value = '';
  $('key-status').textContent = 'Your key is forgotten by this page.';
  alertBox(null);
  $('key-file').focus();
});
$('record-close').addEventListener('click', () => {
  $('record-view').hidden = true;
  $('record-content').replaceChildren();
  $('record-json').textContent = '';
  $('records-h').focus();
});
$('grantee').addEventListener('change', () => {
  $('grantee-new').hidden = $('grantee').value !== 'new';
});
$('grant-days').addEventListener('input', showUntil);
$('grant-form').addEventListener('submit', grant);
$('refresh').addEventListener('click', refresh);
