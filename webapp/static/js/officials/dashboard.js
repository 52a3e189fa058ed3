/**
 * The officials' dashboard (webapp/templates/officials.html, webapp/pages_officials.py).
 *
 * - The official's key file is read here (entry.js `parseKeyFile`) and kept in this
 *   module's memory: the page shows which authority it is and its roles from the
 *   board, signs entries with it, and never sends it (no request carries it; only
 *   the signed entries are posted to `POST /api/v1/board/entries`).
 * - "#new": the form becomes a manifest (manifest.js), signed as `voting.election`.
 * - "#election/<id>": the phase, the trustees' ceremony (commitments, shares,
 *   complaints, qualification, joint key, partial decryptions), the tally and the
 *   result, refreshed every few seconds; the button of the next step: the joint key
 *   and the opening, the close, the encrypted tally, the result. The bodies of the
 *   joint key, the tally and the result are the server's drafts, recomputed and
 *   checked in the page from the board's entries (checks.js) before they are signed.
 *
 * Every refusal (the board's `{error, detail}`, a draft that does not match the board,
 * a form field the manifest cannot take) is shown in the alert box, and nothing is
 * posted after it.
 */

import {
  KEY_FILE_MAX,
  KeyFileError,
  describeError,
  makeEntry,
  nowRfc3339,
  parseKeyFile,
  postEntry,
} from './entry.js';
import {
  DraftMismatch,
  JOINT_KEY,
  RESULT,
  TALLY,
  checkJointKeyDraft,
  checkResultDraft,
  checkTallyDraft,
} from './checks.js';
import {
  ManifestError,
  buildManifest,
  localValue,
  parseTrusteeCard,
} from './manifest.js';
import * as data from './data.js';

const OFFICIAL = 'election_official';
const POLL_MS = 4000;
const PHASES = ['ceremony', 'keyed', 'open', 'closed', 'tallied', 'decided'];
const PHASE_WORDS = {
  ceremony: 'key ceremony',
  keyed: 'keyed (not open yet)',
  open: 'open for ballots',
  closed: 'closed',
  tallied: 'tallied (decrypting)',
  decided: 'result published',
};

const $ = (id) => document.getElementById(id);

const state = {
  key: null, // AuthorityKey, in memory only
  authority: null, // the board's record of the key's author
  trustees: [], // registered trustee authorities (for the form)
  types: {}, // attribute types of the chosen schema
  election: null, // the election shown (API document)
  busy: false,
  timer: null,
  contests: 0,
};

// ----------------------------------------------------------------- messages

function showError(text) {
  const box = $('message');
  box.textContent = text;
  box.hidden = false;
  box.focus();
}

function clearError() {
  $('message').hidden = true;
  $('message').textContent = '';
}

function progress(text) {
  $('progress').textContent = text;
}

function explain(e) {
  if (e instanceof DraftMismatch) {
    return `The server's draft does not match the board, so the page did not sign it: ${e.message}.`;
  }
  if (e instanceof ManifestError) return `The form: ${e.message}.`;
  return describeError(e); // the board's refusals (ApiError), EntryError, KeyFileError, others
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function short(hex, n = 16) {
  return typeof hex === 'string' && hex.length > n ? `${hex.slice(0, n)}…` : String(hex ?? '');
}

// ---------------------------------------------------------------------- key

function canAct() {
  const a = state.authority;
  return Boolean(state.key && a && a.revoked_at === null && a.roles.includes(OFFICIAL));
}

function renderKey() {
  const info = $('key-info');
  const status = $('key-status');
  if (!state.key) {
    info.hidden = true;
    $('key-load').hidden = false;
    status.textContent = 'No key loaded: you can follow the elections, not act.';
    return;
  }
  info.hidden = false;
  $('key-load').hidden = true;
  const a = state.authority;
  $('key-name').textContent = a ? a.name : `${state.key.name} (not on this board)`;
  $('key-id').textContent = state.key.author;
  $('key-roles').replaceChildren(
    ...(a ? a.roles : []).map((r) => el('span', { class: r === OFFICIAL ? 'badge badge-ok' : 'badge', text: r })),
  );
  $('key-since').textContent = a
    ? `entry ${a.since}${a.revoked_at !== null ? `; revoked at entry ${a.revoked_at}: ${a.reason}` : ''}`
    : 'not registered';
  if (!a) {
    status.textContent =
      'This key is not a registered authority of this board: the board would refuse its entries.';
  } else if (a.revoked_at !== null) {
    status.textContent = `${a.name} was revoked: the board refuses its entries now.`;
  } else if (!a.roles.includes(OFFICIAL)) {
    status.textContent = `${a.name} does not have the role ${OFFICIAL}: you can follow the elections, not act.`;
  } else {
    status.textContent = `Signed in as ${a.name} (${OFFICIAL}). The key stays in this page.`;
  }
}

async function loadKey(input) {
  clearError();
  const file = input.files && input.files[0];
  if (!file) return;
  try {
    if (file.size > KEY_FILE_MAX) throw new KeyFileError('this file is too large to be a key');
    const key = parseKeyFile(await file.text());
    const list = await data.authorities();
    if (state.key) state.key.forget();
    state.key = key;
    state.authority = data.authorityOf(list, key.author);
    if (state.authority && state.authority.name !== key.name) {
      progress(`The key file is named ${key.name}; the board knows this key as ${state.authority.name}.`);
    }
  } catch (e) {
    showError(explain(e));
  } finally {
    input.value = '';
  }
  renderKey();
  renderActions();
}

function forgetKey() {
  if (state.key) state.key.forget();
  state.key = null;
  state.authority = null;
  renderKey();
  renderActions();
  progress('The key was forgotten.');
  $('key-file').focus();
}

// ------------------------------------------------------------------ signing

async function signAndPost(kind, body) {
  if (!canAct()) throw new KeyFileError(`load the key of an authority with the role ${OFFICIAL}`);
  const made = makeEntry(state.key, kind, body, nowRfc3339());
  const posted = await postEntry(made.bytes);
  $('el-signed').hidden = false;
  $('el-signed-json').textContent = JSON.stringify(made.entry, null, 2);
  progress(`Entry ${posted.index} posted: ${kind}, leaf hash ${short(posted.leaf_hash)}.`);
  return posted;
}

async function busy(work, onError = (e) => showError(explain(e))) {
  if (state.busy) return;
  state.busy = true;
  clearError();
  const buttons = document.querySelectorAll('#el-actions button, #create');
  buttons.forEach((b) => {
    b.disabled = true;
  });
  try {
    if (!canAct()) throw new KeyFileError(`load the key of an authority with the role ${OFFICIAL} first`);
    await work();
  } catch (e) {
    progress('Nothing was posted.');
    onError(e);
  } finally {
    state.busy = false;
    buttons.forEach((b) => {
      b.disabled = false;
    });
    renderActions();
  }
}

// --------------------------------------------------------------- the list

async function showList() {
  const list = await data.elections();
  const body = $('elections-body');
  body.replaceChildren(
    ...list.map((e) =>
      el(
        'tr',
        {},
        el(
          'th',
          { scope: 'row' },
          el('a', { href: `#election/${e.id}`, text: e.title }),
          el('br'),
          el('span', { class: 'mono small muted', text: e.id }),
        ),
        el('td', {}, el('span', { class: `badge badge-phase phase-${e.phase}`, text: PHASE_WORDS[e.phase] ?? e.phase })),
        el('td', { text: `${e.opens} – ${e.closes}` }),
        el('td', { class: 'num', text: String(e.counted) }),
      ),
    ),
  );
  $('elections-empty').hidden = list.length > 0;
}

// ---------------------------------------------------------------- the form

function contestFieldset() {
  const n = state.contests++;
  const frag = $('contest-template').content.cloneNode(true);
  const fs = frag.querySelector('fieldset');
  fs.dataset.contest = String(n);
  for (const input of fs.querySelectorAll('[data-name]')) {
    input.id = `c${n}-${input.dataset.name}`;
  }
  for (const label of fs.querySelectorAll('label[data-for]')) {
    label.htmlFor = `c${n}-${label.dataset.for}`;
  }
  fs.querySelector('[data-remove]').addEventListener('click', () => {
    if (document.querySelectorAll('#contests fieldset').length > 1) {
      fs.remove();
      numberContests();
    }
  });
  $('contests').append(fs);
  numberContests();
  return fs;
}

function numberContests() {
  document.querySelectorAll('#contests fieldset').forEach((fs, i) => {
    fs.querySelector('.contest-legend').textContent = `Contest ${i + 1}`;
  });
}

function trusteeRow(t, n) {
  const box = el('input', {
    id: `t${n}-box`,
    type: 'text',
    class: 'mono',
    maxlength: 64,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-label': `Box key of ${t.name} for this election`,
  });
  const use = el('input', { id: `t${n}-use`, type: 'checkbox', 'aria-label': `Make ${t.name} a trustee` });
  const card = el('input', {
    id: `t${n}-card`,
    type: 'file',
    accept: '.json,application/json',
    'aria-label': `Load the card of ${t.name}`,
  });
  card.addEventListener('change', async () => {
    clearError();
    const f = card.files && card.files[0];
    if (!f) return;
    try {
      if (f.size > 8192) throw new ManifestError('trustees', 'this file is too large to be a card');
      const c = parseTrusteeCard(await f.text(), $('f-id').value.trim() || null);
      if (c.key_id !== t.key_id) {
        throw new ManifestError('trustees', `this card is ${c.trustee}'s, not ${t.name}'s`);
      }
      box.value = c.box;
      use.checked = true;
      progress(`${t.name}'s card loaded.`);
    } catch (e) {
      showError(explain(e));
    } finally {
      card.value = '';
    }
  });
  box.addEventListener('input', () => {
    if (box.value.trim()) use.checked = true;
  });
  const row = el(
    'tr',
    { 'data-key-id': t.key_id },
    el('td', {}, use),
    el('th', { scope: 'row', text: t.name }),
    el('td', { class: 'hash small', text: short(t.key_id) }),
    el('td', {}, box),
    el('td', {}, card),
  );
  return row;
}

async function prepareForm() {
  const list = await data.authorities();
  state.trustees = list.filter((a) => a.revoked_at === null && a.roles.includes('trustee'));
  const rows = $('trustee-rows');
  if (rows.dataset.filled !== 'yes') {
    rows.replaceChildren(...state.trustees.map((t, n) => trusteeRow(t, n)));
    rows.dataset.filled = 'yes';
  }
  $('trustees-empty').hidden = state.trustees.length > 0;
  if (!$('contests').children.length) contestFieldset();
  if (!$('f-opens').value) {
    const opens = new Date(Math.ceil(Date.now() / 3600000) * 3600000);
    $('f-opens').value = localValue(opens);
    $('f-closes').value = localValue(new Date(opens.getTime() + 12 * 3600000));
  }
  try {
    const schemas = await data.schemas();
    $('issuer-list').replaceChildren(
      ...[...new Set(schemas.map((s) => s.issuer))].map((i) => el('option', { value: i })),
    );
    $('schema-list').replaceChildren(...schemas.map((s) => el('option', { value: s.id, label: `${s.issuer}: ${s.title}` })));
    state.schemas = schemas;
  } catch {
    state.schemas = [];
  }
}

function schemaInfo() {
  const s = (state.schemas ?? []).find(
    (x) => x.issuer === $('f-issuer').value.trim() && x.id === $('f-schema').value.trim(),
  );
  state.types = {};
  if (!s) {
    $('schema-info').textContent = '';
    return;
  }
  for (const a of s.attributes) state.types[a.name] = a.type;
  $('schema-info').textContent = `${s.title}: ${s.attributes.map((a) => `${a.name} (${a.type})`).join(', ')}.`;
}

function eligibilityFields() {
  const credential = $('f-elig-credential').checked;
  $('roll-fields').hidden = credential;
  $('credential-fields').hidden = !credential;
}

function formValues() {
  const contests = [...document.querySelectorAll('#contests fieldset')].map((fs) => {
    const v = (name) => fs.querySelector(`[data-name="${name}"]`);
    return {
      id: v('id').value,
      title: v('title').value,
      options: v('options').value,
      min: v('min').value,
      max: v('max').value,
      blank: v('blank').checked,
    };
  });
  const trustees = [];
  state.trustees.forEach((t, n) => {
    if ($(`t${n}-use`).checked) trustees.push({ key_id: t.key_id, box: $(`t${n}-box`).value, row: n });
  });
  return {
    id: $('f-id').value,
    title: $('f-title').value,
    revote: document.querySelector('input[name="revote"]:checked')?.value,
    opens: $('f-opens').value,
    closes: $('f-closes').value,
    contests,
    eligibility: document.querySelector('input[name="eligibility"]:checked')?.value,
    roll: $('f-roll').value,
    credential: {
      issuer: $('f-issuer').value,
      schema: $('f-schema').value,
      attributes: $('f-attributes').value,
      predicates: $('f-predicates').value,
      date: $('f-date').value,
      types: state.types,
    },
    trustees,
    threshold: $('f-threshold').value,
  };
}

function fieldElement(field, values) {
  const parts = field.split('.');
  if (parts[0] === 'contests' && parts.length === 3) {
    const fs = document.querySelectorAll('#contests fieldset')[Number(parts[1])];
    return fs?.querySelector(`[data-name="${parts[2]}"]`);
  }
  if (parts[0] === 'trustees' && parts.length === 3) {
    const row = values.trustees[Number(parts[1])]?.row;
    return row === undefined ? null : $(`t${row}-box`);
  }
  const ids = {
    id: 'f-id',
    title: 'f-title',
    opens: 'f-opens',
    closes: 'f-closes',
    roll: 'f-roll',
    issuer: 'f-issuer',
    schema: 'f-schema',
    attributes: 'f-attributes',
    predicates: 'f-predicates',
    date: 'f-date',
    threshold: 'f-threshold',
    trustees: 't0-use',
    revote: 'f-revote-last',
    eligibility: 'f-elig-roll',
    contests: 'add-contest',
  };
  return $(ids[parts[0]] ?? '');
}

function formError(text, field) {
  const box = $('form-error');
  box.textContent = text;
  box.hidden = false;
  document.querySelectorAll('[aria-invalid="true"]').forEach((x) => x.removeAttribute('aria-invalid'));
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  } else {
    box.focus();
  }
}

async function createElection(event) {
  event.preventDefault();
  $('form-error').hidden = true;
  document.querySelectorAll('[aria-invalid="true"]').forEach((x) => x.removeAttribute('aria-invalid'));
  const values = formValues();
  let manifest;
  try {
    manifest = buildManifest(values);
  } catch (e) {
    if (e instanceof ManifestError) {
      formError(explain(e), fieldElement(e.field, values));
      return;
    }
    throw e;
  }
  await busy(
    async () => {
      await signAndPost('voting.election', manifest);
      $('form-error').hidden = true;
      location.hash = `#election/${manifest.id}`;
    },
    (e) => formError(explain(e), null),
  );
}

// ----------------------------------------------------------- the election

function renderFacts(e) {
  $('el-title').textContent = e.title;
  $('el-crumb').textContent = e.title;
  $('el-id').textContent = e.id;
  const phase = $('el-phase');
  phase.textContent = PHASE_WORDS[e.phase] ?? e.phase;
  phase.className = `badge badge-phase phase-${e.phase}`;
  $('el-public').href = `/elections/${encodeURIComponent(e.id)}`;
  const at = PHASES.indexOf(e.phase);
  document.querySelectorAll('#el-phases li').forEach((li, i) => {
    li.classList.toggle('done', i < at);
    if (i === at) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  });
  $('el-hours').textContent = `${e.opens} – ${e.closes}`;
  const rule = e.manifest.eligibility;
  $('el-eligibility').textContent =
    rule.type === 'roll'
      ? `a roll of ${rule.voters.length} voter key${rule.voters.length === 1 ? '' : 's'}`
      : `holders of ${rule.issuer}/${rule.schema}` +
        (Object.keys(rule.attributes).length
          ? ` with ${Object.entries(rule.attributes).map(([k, v]) => `${k} = ${v}`).join(', ')}`
          : '') +
        (rule.predicates.length
          ? `, proving ${rule.predicates.map((p) => `${p.attribute} ${p.op} ${p.value}`).join(', ')}`
          : '') +
        ` on ${rule.date}`;
  $('el-revote').textContent = e.revote === 'last' ? 'replaces the first (the last counts)' : 'is refused';
  $('el-ballots').textContent = `${e.ballots} cast, ${e.counted} counted (one a voter), ${e.challenged} challenged`;
  $('el-manifest-hash').textContent = e.manifest_hash;
  $('el-joint-key').textContent = e.joint_key ?? 'not yet (after the ceremony)';
}

function mark(ok, yes = 'yes', no = 'no') {
  return el('span', { class: ok ? 'badge badge-ok' : 'badge', text: ok ? yes : no });
}

function renderCeremony(e) {
  const committed = e.trustees.filter((t) => t.committed).length;
  const revealed = e.trustees.filter((t) => t.revealed).length;
  const partials = e.trustees.filter((t) => t.partial && t.partial.valid).length;
  let summary = `${e.trustees.length} trustees, any ${e.threshold} decrypt. ` +
    `${committed} committed, ${revealed} dealt their shares`;
  if (e.verification_keys) {
    summary += `; ${e.trustees.filter((t) => t.qualified).length} qualified`;
  }
  if (e.tally) summary += `; ${partials} valid partial decryption${partials === 1 ? '' : 's'}`;
  $('el-ceremony-summary').textContent = `${summary}.`;
  $('el-trustees').replaceChildren(
    ...e.trustees.map((t) => {
      let qualified;
      if (t.fault) qualified = el('span', { class: 'badge badge-warn', text: `at fault: ${t.fault}` });
      else if (t.qualified === null) qualified = el('span', { class: 'muted', text: 'after the joint key' });
      else qualified = mark(t.qualified);
      let partial;
      if (!t.partial) partial = el('span', { class: 'muted', text: e.tally ? 'not yet' : '—' });
      else if (t.partial.valid) partial = mark(true, 'valid');
      else partial = el('span', { class: 'badge badge-warn', text: `invalid: ${t.partial.reason}` });
      return el(
        'tr',
        { 'data-trustee': t.index },
        el('td', { class: 'num', text: String(t.index) }),
        el('th', { scope: 'row' }, t.name ?? '(revoked)', el('br'), el('span', { class: 'hash small', text: short(t.key_id) })),
        el('td', {}, mark(t.committed)),
        el('td', {}, mark(t.revealed)),
        el('td', {}, qualified),
        el('td', {}, partial),
      );
    }),
  );
  $('el-complaints-box').hidden = e.complaints.length === 0;
  $('el-complaints').replaceChildren(
    ...e.complaints.map((c) =>
      el('li', { text: `trustee ${c.recipient} against trustee ${c.dealer}: ${c.verdict}` }),
    ),
  );
}

function renderTally(e) {
  const box = $('el-tally');
  if (!e.tally) {
    box.replaceChildren(el('p', { class: 'muted', text: 'No tally yet: it is posted after the close.' }));
    return;
  }
  box.replaceChildren(
    el('dl', { class: 'kv' },
      el('dt', { text: 'Counted ballots' }), el('dd', { text: String(e.tally.ballots) }),
      el('dt', { text: 'Tally digest h_T' }), el('dd', { class: 'hash', text: e.tally.digest }),
    ),
  );
}

function renderResult(e) {
  const box = $('el-result');
  if (!e.result) {
    box.replaceChildren(el('p', { class: 'muted', text: 'No result yet.' }));
    return;
  }
  const tables = e.result.totals.map((c, i) => {
    const contest = e.manifest.contests[i];
    return el(
      'div',
      { class: 'table-wrap' },
      el(
        'table',
        { class: 'data result-table', 'data-contest': c.contest },
        el('caption', { text: contest ? contest.title : c.contest }),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Option' }), el('th', { scope: 'col', class: 'num', text: 'Votes' }))),
        el(
          'tbody',
          {},
          ...Object.entries(c.counts).map(([name, n]) =>
            el('tr', {}, el('th', { scope: 'row', text: name }), el('td', { class: 'num', text: String(n) })),
          ),
        ),
      ),
    );
  });
  const used = el('p', { text: `Decrypted with the partial decryptions of trustees ${e.result.used.join(', ')}.` });
  const excluded = e.result.excluded.map((x) =>
    el('p', { class: 'notice notice-warn', text: `Excluded: trustee ${x.trustee}: ${x.reason}` }),
  );
  box.replaceChildren(...tables, used, ...excluded);
}

function renderActions() {
  const e = state.election;
  const buttons = { open: $('act-open'), close: $('act-close'), tally: $('act-tally'), publish: $('act-publish') };
  for (const b of Object.values(buttons)) b.hidden = true;
  if (!e) return;
  const now = nowRfc3339();
  let next = '';
  let shown = null;
  switch (e.phase) {
    case 'ceremony': {
      const revealed = e.trustees.filter((t) => t.revealed).length;
      next = `The trustees commit and deal their shares (${revealed} of ${e.trustees.length} did; ` +
        `at least ${e.threshold} needed). Then the joint key is computed from their commitments and ` +
        'the election opens.';
      buttons.open.textContent = now >= e.opens ? 'Compute the joint key and open' : 'Compute the joint key';
      shown = buttons.open;
      break;
    }
    case 'keyed':
      next = `The joint key is on the board. The election can open from ${e.opens}.`;
      buttons.open.textContent = 'Open the election';
      shown = buttons.open;
      break;
    case 'open':
      next = `Voters cast ballots until ${e.closes}; the board refuses the close before then.`;
      shown = buttons.close;
      break;
    case 'closed':
      if (e.counted > 0) {
        next = `Post the encrypted tally: the sum of the ${e.counted} counted ballots, checked in this page.`;
        shown = buttons.tally;
      } else {
        next = 'No ballot was counted: there is nothing to tally (a sum of nothing has no encryption).';
      }
      break;
    case 'tallied': {
      const valid = e.trustees.filter((t) => t.partial && t.partial.valid).length;
      next = `The trustees post their partial decryptions (${valid} valid, ${e.threshold} needed); ` +
        'then the result combines them. The page checks the totals against the partials before signing.';
      shown = buttons.publish;
      break;
    }
    case 'decided':
      next = 'The result is on the board. Anyone can check the whole election from its record.';
      break;
    default:
      next = `Phase ${e.phase}.`;
  }
  $('el-next').textContent = next;
  if (shown) {
    shown.hidden = false;
    shown.disabled = state.busy;
  }
  $('el-act-hint').textContent = shown && !canAct()
    ? `Load the key of an authority with the role ${OFFICIAL} to act.`
    : '';
}

function renderElection(e) {
  state.election = e;
  renderFacts(e);
  renderCeremony(e);
  renderTally(e);
  renderResult(e);
  renderActions();
  $('el-updated').textContent = `Updated ${nowRfc3339()}.`;
}

async function refreshElection(id, { quiet = false } = {}) {
  try {
    renderElection(await data.election(id));
  } catch (e) {
    if (!quiet) showError(explain(e));
    else $('el-updated').textContent = `Could not refresh: ${explain(e)}`;
  }
}

/** Run an action on the election shown, with its state fetched afresh, then refresh. */
async function electionAction(work) {
  const id = state.election.id;
  await busy(async () => {
    const e = await data.election(id);
    renderElection(e);
    await work(e);
  });
  await refreshElection(id, { quiet: true });
}

function openAction() {
  return electionAction(async (e) => {
    if (e.phase === 'ceremony') {
      progress('Checking the joint key against the trustees\' commitments…');
      const [draft, reveals] = await Promise.all([data.draft(e.id, 'joint_key'), data.reveals(e)]);
      const body = checkJointKeyDraft(draft, e, reveals);
      await signAndPost(JOINT_KEY, body);
      if (nowRfc3339() < e.opens) {
        progress(`The joint key is posted. The election can open from ${e.opens}.`);
        return;
      }
    }
    await signAndPost('voting.open', { election: e.id });
  });
}

function closeAction() {
  return electionAction((e) => signAndPost('voting.close', { election: e.id }));
}

function tallyAction() {
  return electionAction(async (e) => {
    progress('Adding the counted ballots in this page…');
    const [draft, contests] = await Promise.all([data.draft(e.id, 'tally'), data.countedContests(e)]);
    const body = checkTallyDraft(draft, e, contests);
    await signAndPost(TALLY, body);
  });
}

function publishAction() {
  return electionAction(async (e) => {
    progress('Checking the totals against the partial decryptions…');
    const [draft, shares] = await Promise.all([data.draft(e.id, 'result'), data.partials(e)]);
    const body = checkResultDraft(draft, e, shares);
    await signAndPost(RESULT, body);
  });
}

// ------------------------------------------------------------------ routing

function stopPolling() {
  if (state.timer !== null) clearInterval(state.timer);
  state.timer = null;
}

async function route() {
  stopPolling();
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  const views = { list: $('view-list'), new: $('view-new'), election: $('view-election') };
  let view = 'list';
  let id = null;
  if (hash === 'new') view = 'new';
  else if (hash.startsWith('election/')) {
    view = 'election';
    id = hash.slice('election/'.length);
  }
  for (const [name, section] of Object.entries(views)) section.hidden = name !== view;
  try {
    if (view === 'list') {
      state.election = null;
      await showList();
      $('list-h').focus();
    } else if (view === 'new') {
      state.election = null;
      await prepareForm();
      $('new-h').focus();
    } else {
      state.election = null;
      $('el-title').textContent = id;
      await refreshElection(id);
      $('el-title').focus();
      state.timer = setInterval(() => {
        if (!state.busy && !document.hidden && state.election) {
          refreshElection(state.election.id, { quiet: true });
        }
      }, POLL_MS);
    }
  } catch (e) {
    showError(explain(e));
  }
}

function init() {
  $('key-file').addEventListener('change', (ev) => loadKey(ev.target));
  $('key-forget').addEventListener('click', forgetKey);
  $('add-contest').addEventListener('click', () => {
    const fs = contestFieldset();
    fs.querySelector('[data-name="id"]').focus();
  });
  $('f-elig-roll').addEventListener('change', eligibilityFields);
  $('f-elig-credential').addEventListener('change', eligibilityFields);
  $('f-issuer').addEventListener('input', schemaInfo);
  $('f-schema').addEventListener('input', schemaInfo);
  $('new-form').addEventListener('submit', (ev) => {
    createElection(ev).catch((e) => showError(explain(e)));
  });
  $('act-open').addEventListener('click', openAction);
  $('act-close').addEventListener('click', closeAction);
  $('act-tally').addEventListener('click', tallyAction);
  $('act-publish').addEventListener('click', publishAction);
  $('el-refresh').addEventListener('click', () => {
    if (state.election) refreshElection(state.election.id);
  });
  window.addEventListener('hashchange', () => {
    clearError();
    route();
  });
  window.addEventListener('pagehide', () => {
    if (state.key) state.key.forget();
  });
  eligibilityFields();
  renderKey();
  route();
}

init();
