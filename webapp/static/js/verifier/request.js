// The verifier page's rules that need no document (static/js/verifier/page.js uses
// them; webapp/js-tests/verifier.test.js tests them under node):
//
// - the body of POST /api/v1/identity/requests from the form's values, checked
//   against the schema (disclosed attributes exist, predicates on integer or date
//   attributes with a value of that type, not on a disclosed attribute);
// - the wallet link a holder opens (and the QR code encodes): <origin>/wallet?request=<id>;
// - the rows the page shows of a verdict (docs/api.md §Identity, Verdict).

import qrcode from 'qrcode-generator';

export const TTL_CHOICES = [300, 900, 3600];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CONTEXT = /^[\x21-\x7e]{1,200}$/;

/** A form value the verifier can fix (the page shows the message). */
export class FormError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FormError';
  }
}

/** The attributes of a schema a predicate can bound (integer and date). */
export function orderedAttributes(schema) {
  return schema.attributes.filter((a) => a.type === 'integer' || a.type === 'date');
}

function predicateValue(attr, text) {
  const t = String(text ?? '').trim();
  if (attr.type === 'date') {
    const d = new Date(`${t}T00:00:00Z`);
    if (!DATE.test(t) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t) {
      throw new FormError(`${attr.name}: give a date as YYYY-MM-DD`);
    }
    return t;
  }
  if (!/^-?\d{1,15}$/.test(t)) throw new FormError(`${attr.name}: give a whole number`);
  return Number(t);
}

/**
 * The body of POST /identity/requests: {issuer, schema, disclose, predicates,
 * pseudonym?, ttl_seconds}. `form` = {disclose: [names], predicates: [{attribute,
 * op, value (text)}], context (text), ttl (seconds)}. Throws FormError.
 */
export function sessionBody(schema, form) {
  const names = new Set(schema.attributes.map((a) => a.name));
  const disclose = [...new Set(form.disclose ?? [])];
  for (const n of disclose) if (!names.has(n)) throw new FormError(`${n} is not an attribute of ${schema.id}`);
  const predicates = (form.predicates ?? []).map((p) => {
    const attr = orderedAttributes(schema).find((a) => a.name === p.attribute);
    if (!attr) throw new FormError(`${p.attribute} has no order: a predicate needs an integer or a date`);
    if (p.op !== '<=' && p.op !== '>=') throw new FormError('a predicate is ≤ or ≥');
    if (disclose.includes(p.attribute)) throw new FormError(`${p.attribute} is disclosed: no predicate is needed on it`);
    return { attribute: p.attribute, op: p.op, value: predicateValue(attr, p.value) };
  });
  const body = { issuer: schema.issuer, schema: schema.id, disclose, predicates };
  const context = String(form.context ?? '').trim();
  if (context) {
    if (!CONTEXT.test(context)) throw new FormError('a pseudonym context is 1 to 200 printable ASCII characters');
    body.pseudonym = { context };
  }
  const ttl = Number(form.ttl ?? 900);
  if (!TTL_CHOICES.includes(ttl)) throw new FormError('choose how long the request stays open');
  body.ttl_seconds = ttl;
  return body;
}

/** The link a holder opens: <origin>/wallet?request=<id>. */
export function walletLink(origin, id) {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new FormError('a request id is 32 hex digits');
  return `${origin}/wallet?request=${id}`;
}

/**
 * The QR code of `text` as an SVG path over a grid of `size` modules (plus a quiet
 * zone of 4 on each side): {size, d, dark} — `dark` counts the dark modules.
 */
export function qrPath(text, level = 'M') {
  const qr = qrcode(0, level);
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const parts = [];
  let dark = 0;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) {
        parts.push(`M${c + 4} ${r + 4}h1v1h-1z`);
        dark++;
      }
    }
  }
  return { size: n + 8, d: parts.join(''), dark, modules: n };
}

export const CHECK_LABELS = {
  shape: 'One credential in a presentation',
  nonce: 'Made for this request (fresh nonce)',
  issuer_key: 'Issuer key on the board, issuer not revoked',
  schema: 'The schema as published on the board',
  disclosure: 'Exactly the attributes asked',
  predicates: 'The predicates asked, and valid on the date',
  pseudonym: 'The pseudonym asked',
  proof: 'The BBS proof verifies',
  status: 'Not revoked',
};

/** What the page shows of a verdict. */
export function verdictView(verdict) {
  const result = verdict.result;
  return {
    valid: verdict.valid === true,
    headline: verdict.valid
      ? `✓ Valid presentation of ${result.issuer}/${result.schema}`
      : `✗ Refused: ${verdict.reason}${verdict.detail ? ` — ${verdict.detail}` : ''}`,
    disclosed: result ? Object.entries(result.disclosed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]) : [],
    predicates: (verdict.predicates ?? []).map((p) => ({
      text: p.predicate,
      mark: p.proved === true ? '✓' : p.proved === false ? '✗' : '–',
    })),
    pseudonym: result?.pseudonym ?? null,
    checks: (verdict.checks ?? []).map((c) => ({
      check: c.check,
      label: CHECK_LABELS[c.check] ?? c.check,
      state: c.ok === true ? 'passed' : c.ok === false ? 'failed' : 'incomplete',
      mark: c.ok === true ? '✓' : c.ok === false ? '✗' : '–',
      detail: c.detail,
    })),
  };
}
