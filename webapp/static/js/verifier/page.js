/**
 * The verifier's page (webapp/templates/verifier.html, webapp/pages_wallet.py).
 *
 * Builds a presentation request from the board's issuers and schemas
 * (attributes to disclose, predicates on integer and date attributes, an
 * optional pseudonym context), has the server draw its nonce
 * (POST /api/v1/identity/requests), shows the wallet link and its QR code,
 * polls the request and shows the verdict: the disclosed attributes, what was
 * proved, and each check (issuer key on the board, status, predicates, proof).
 * The verifier holds no secret; nothing here is one.
 */

import * as api from '../wallet/client.js';
import {
  FormError,
  orderedAttributes,
  qrPath,
  sessionBody,
  verdictView,
  walletLink,
} from './request.js';
import { el, showAlert } from '../common/dom.js';

const POLL_MS = 1500;
const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);

const state = { issuers: new Map(), session: null, poll: null, rows: 0 };

function status(text) {
  $('verifier-status').textContent = text;
}

function alertBox(text) {
  showAlert($('verifier-alert'), text);
}

function explain(e) {
  if (e instanceof api.ApiError) return `The server refused: ${e.message} (${e.code}).`;
  if (e instanceof FormError) return e.message;
  if (e instanceof TypeError && /fetch/i.test(e.message)) return 'The server could not be reached. Try again.';
  return `Something went wrong in the page: ${e?.message ?? e}`;
}

function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, label]) => el('option', { value, text: label })));
}

// ------------------------------------------------------------------ the form

async function load() {
  const { issuers } = await api.issuers();
  const usable = issuers.filter((i) => i.active && i.schemas.length);
  for (const i of usable) state.issuers.set(i.name, await api.issuer(i.name));
  fillSelect($('v-issuer'), usable.map((i) => [i.name, i.name]));
  $('v-create').disabled = usable.length === 0;
  status(usable.length ? 'Choose what to ask.' : 'No issuer on this board publishes a credential yet.');
  onIssuer();
}

function schema() {
  const issuer = state.issuers.get($('v-issuer').value);
  return issuer?.schemas.find((s) => s.id === $('v-schema').value) ?? null;
}

function onIssuer() {
  const issuer = state.issuers.get($('v-issuer').value);
  fillSelect($('v-schema'), (issuer?.schemas ?? []).map((s) => [s.id, `${s.title} (${s.id})`]));
  onSchema();
}

function onSchema() {
  const s = schema();
  const box = $('v-disclose');
  box.replaceChildren();
  $('v-predicates').replaceChildren();
  if (!s) return;
  for (const a of s.attributes) {
    const id = `v-d-${a.name}`;
    box.append(
      el('div', { className: 'v-choice' }, el('input', { type: 'checkbox', id, value: a.name }), el('label', { for: id, text: `${a.name} (${a.type})` })),
    );
  }
  $('v-add-predicate').disabled = orderedAttributes(s).length === 0;
}

function addPredicate() {
  const s = schema();
  if (!s) return;
  const n = state.rows++;
  const attrs = orderedAttributes(s);
  const attr = el('select', { id: `v-p-attr-${n}`, 'aria-label': 'Attribute' });
  fillSelect(attr, attrs.map((a) => [a.name, `${a.name} (${a.type})`]));
  const op = el('select', { id: `v-p-op-${n}`, 'aria-label': 'Condition' });
  fillSelect(op, [['<=', '≤ (at most)'], ['>=', '≥ (at least)']]);
  const value = el('input', { id: `v-p-value-${n}`, type: 'text', 'aria-label': 'Bound', autocomplete: 'off' });
  const setHint = () => {
    const a = attrs.find((x) => x.name === attr.value);
    value.placeholder = a?.type === 'date' ? 'YYYY-MM-DD' : 'a whole number';
  };
  attr.addEventListener('change', setHint);
  setHint();
  const remove = el('button', { type: 'button', className: 'button button-secondary', text: 'Remove' });
  const row = el('div', { className: 'v-predicate', 'data-predicate': String(n) }, attr, op, value, remove);
  remove.addEventListener('click', () => row.remove());
  $('v-predicates').append(row);
  attr.focus();
}

function formValues() {
  return {
    disclose: [...document.querySelectorAll('#v-disclose input:checked')].map((i) => i.value),
    predicates: [...document.querySelectorAll('#v-predicates .v-predicate')].map((row) => {
      const [attribute, op, value] = row.querySelectorAll('select, input');
      return { attribute: attribute.value, op: op.value, value: value.value };
    }),
    context: $('v-context').value,
    ttl: Number($('v-ttl').value),
  };
}

async function onCreate(event) {
  event.preventDefault();
  alertBox(null);
  const s = schema();
  if (!s) {
    alertBox('Choose an issuer and a credential first.');
    return;
  }
  $('v-create').disabled = true;
  try {
    const body = sessionBody(s, formValues());
    status('Creating the request (the server draws its nonce)…');
    const session = await api.createSession(body);
    showSession(session);
  } catch (e) {
    status('The request was not created.');
    alertBox(explain(e));
  } finally {
    $('v-create').disabled = false;
  }
}

// ---------------------------------------------------------------- the session

function drawQr(text) {
  const { size, d } = qrPath(text);
  const svg = $('v-qr');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(size));
  bg.setAttribute('height', String(size));
  bg.setAttribute('fill', '#ffffff');
  const fg = document.createElementNS(SVG, 'path');
  fg.setAttribute('d', d);
  fg.setAttribute('fill', '#000000');
  svg.replaceChildren(bg, fg);
}

function showSession(session) {
  state.session = session;
  const link = walletLink(location.origin, session.id);
  const a = $('v-link');
  a.href = link;
  a.textContent = link;
  $('v-code').textContent = session.id;
  $('v-expires').textContent = session.expires;
  $('v-request').textContent = JSON.stringify(session.request, null, 2);
  drawQr(link);
  $('v-state').textContent = 'Waiting for the holder’s presentation…';
  $('v-verdict').hidden = true;
  $('verifier-form').hidden = true;
  $('v-session').hidden = false;
  $('v-session-h').focus();
  status('The request is open: show the link or the QR code to the holder.');
  stopPolling();
  state.poll = setInterval(poll, POLL_MS);
}

function stopPolling() {
  if (state.poll) clearInterval(state.poll);
  state.poll = null;
}

async function poll() {
  const current = state.session;
  if (!current) return;
  let s;
  try {
    s = await api.session(current.id);
  } catch (e) {
    $('v-state').textContent = `Could not check the request: ${explain(e)}`;
    return;
  }
  if (state.session !== current) return;
  if (s.status === 'verified') {
    stopPolling();
    $('v-state').textContent = `Answered at ${s.answered}.`;
    showVerdict(s.verdict);
  } else if (s.status === 'expired') {
    stopPolling();
    $('v-state').textContent = 'The request expired unanswered. Create a new one.';
    status('Expired.');
  }
}

function showVerdict(verdict) {
  const v = verdictView(verdict);
  const head = $('v-headline');
  head.textContent = v.headline;
  head.className = v.valid ? 'verdict ok' : 'verdict bad';
  const dl = $('v-disclosed');
  dl.replaceChildren();
  for (const [k, value] of v.disclosed) dl.append(el('dt', { text: k }), el('dd', { text: value }));
  if (!v.disclosed.length) dl.append(el('dt', { text: 'nothing' }), el('dd', { text: 'no attribute was asked' }));
  $('v-proved').replaceChildren(...v.predicates.map((p) => el('li', { text: `${p.mark} ${p.text}` })));
  $('v-pseudonym').replaceChildren(
    ...(v.pseudonym
      ? [el('span', { text: 'Pseudonym in this context: ' }), el('code', { className: 'hash', text: v.pseudonym })]
      : [el('span', { text: 'No pseudonym: this holder cannot be recognised later.' })]),
  );
  $('v-checks').replaceChildren(
    ...v.checks.map((c) =>
      el(
        'li',
        { className: `check check-${c.state}`, 'data-check': c.check },
        el('span', { className: 'check-mark', 'aria-hidden': 'true', text: c.mark }),
        el('span', {}, el('strong', { text: c.label }), el('br'), el('span', { className: 'check-detail', text: c.detail })),
      ),
    ),
  );
  $('v-verdict').hidden = false;
  $('v-verdict-h').focus();
  status(v.valid ? 'Verified.' : 'Refused.');
}

function newRequest() {
  stopPolling();
  state.session = null;
  $('v-session').hidden = true;
  $('v-verdict').hidden = true;
  $('verifier-form').hidden = false;
  status('Choose what to ask.');
}

// -------------------------------------------------------------------- wiring

$('v-issuer').addEventListener('change', onIssuer);
$('v-schema').addEventListener('change', onSchema);
$('v-add-predicate').addEventListener('click', addPredicate);
$('verifier-form').addEventListener('submit', onCreate);
$('v-new').addEventListener('click', newRequest);
window.addEventListener('pagehide', stopPolling);
load().catch((e) => {
  status('The issuers could not be loaded.');
  alertBox(explain(e));
});
