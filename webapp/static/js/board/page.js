/**
 * Wires the board checks of verify.js into the pages (home, entry, receipt).
 *
 * The page carries the board's log key, witnesses and quorum as JSON in
 * <script type="application/json" id="board-keys"> (from the genesis and the
 * board.witnesses entry, server-rendered); an element with data-verify =
 * "checkpoint" | "entry" | "receipt" gets its check, and the report is
 * written into its .verify-result (a live region) with textContent only.
 */

import { checkCheckpoint, checkEntry, checkReceipt } from './verify.js';

function keys() {
  const el = document.getElementById('board-keys');
  const doc = JSON.parse(el.textContent);
  return { logKey: doc.log_key, witnesses: doc.witnesses, quorum: doc.quorum, api: doc.api };
}

const MARK = { true: '✓', false: '✗', null: '–' };
const WORD = { true: 'passed', false: 'failed', null: 'not decided' };

/** Write a report {ok, steps} into `target` as a heading line and a list of checks. */
export function renderReport(target, report) {
  target.replaceChildren();
  const head = document.createElement('p');
  const state = report.ok === true ? 'ok' : report.ok === false ? 'fail' : 'info';
  head.className = `notice notice-${state}`;
  head.textContent =
    report.ok === true
      ? '✓ Verified in your browser.'
      : report.ok === false
        ? '✗ The check failed.'
        : '– Not decided yet.';
  const list = document.createElement('ol');
  list.className = 'checks';
  for (const step of report.steps) {
    const li = document.createElement('li');
    li.className = `check check-${step.ok === true ? 'passed' : step.ok === false ? 'failed' : 'incomplete'}`;
    const mark = document.createElement('span');
    mark.className = 'check-mark';
    mark.setAttribute('aria-hidden', 'true');
    mark.textContent = MARK[String(step.ok)];
    const text = document.createElement('span');
    const label = document.createElement('strong');
    label.textContent = step.label;
    const hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = ` (${WORD[String(step.ok)]})`;
    text.append(label, hidden);
    if (step.detail) {
      const detail = document.createElement('span');
      detail.className = 'check-detail';
      detail.textContent = step.detail;
      text.append(document.createElement('br'), detail);
    }
    li.append(mark, text);
    list.append(li);
  }
  target.append(head, list);
}

function busy(target, button, on) {
  if (button) button.disabled = on;
  target.setAttribute('aria-busy', on ? 'true' : 'false');
  if (on) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'Checking…';
    target.replaceChildren(p);
  }
}

async function run(el, check) {
  const target = el.querySelector('.verify-result');
  const button = el.querySelector('[data-verify-start]');
  busy(target, button, true);
  let report;
  try {
    report = await check();
  } catch (e) {
    report = { ok: false, steps: [{ ok: false, label: 'The check could not run', detail: String(e?.message ?? e) }] };
  }
  busy(target, button, false);
  renderReport(target, report);
}

function wireCheckpoint(el) {
  const go = () => run(el, async () => (await checkCheckpoint(keys())).report);
  el.querySelector('[data-verify-start]')?.addEventListener('click', go);
}

function wireEntry(el) {
  const go = () =>
    run(el, () => checkEntry({ ...keys(), index: el.dataset.index, leafHash: el.dataset.leafHash }));
  el.querySelector('[data-verify-start]')?.addEventListener('click', go);
  go();
}

function wireReceipt(form) {
  const file = form.querySelector('input[type="file"]');
  const text = form.querySelector('textarea');
  file?.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (f) text.value = await f.text();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) {
      renderReport(form.querySelector('.verify-result'), {
        ok: false,
        steps: [{ ok: false, label: 'No receipt', detail: 'Load the receipt file or paste it first.' }],
      });
      text.focus();
      return;
    }
    run(form, () => checkReceipt(value, keys()));
  });
}

for (const el of document.querySelectorAll('[data-verify]')) {
  const kind = el.dataset.verify;
  if (kind === 'checkpoint') wireCheckpoint(el);
  else if (kind === 'entry') wireEntry(el);
  else if (kind === 'receipt') wireReceipt(el);
}
