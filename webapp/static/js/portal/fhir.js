/**
 * A decrypted record, readable: the FHIR R4 Bundle a provider wrote (docs/health.md §1:
 * entries of Patient, Observation, Immunization, AllergyIntolerance, Condition,
 * MedicationStatement) as a list of resources, each with a heading and labelled facts.
 *
 * Pure data in, plain strings out: the page puts them in the document as text, never
 * as markup. Elements a resource lacks are left out; an element of an unexpected shape
 * is shown as nothing rather than guessed at (the full JSON is shown beside it).
 */

export const TITLES = {
  Patient: 'Patient',
  Observation: 'Observation',
  Immunization: 'Immunization',
  AllergyIntolerance: 'Allergy or intolerance',
  Condition: 'Condition',
  MedicationStatement: 'Medication',
};

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v) => (Array.isArray(v) ? v : []);
const str = (v) => (typeof v === 'string' && v.trim() !== '' ? v : null);

function scalar(v) {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return null;
}

/** A Coding as its display, else `system|code`, else its code. */
export function coding(c) {
  if (!isObject(c)) return null;
  const display = str(c.display);
  if (display) return display;
  const code = scalar(c.code);
  if (code && str(c.system)) return `${c.system}|${code}`;
  return code;
}

/** A CodeableConcept as its text, else its codings. */
export function concept(cc) {
  if (!isObject(cc)) return null;
  const text = str(cc.text);
  if (text) return text;
  const codes = list(cc.coding).map(coding).filter(Boolean);
  return codes.length ? codes.join(', ') : null;
}

/** A Quantity as `value unit`. */
export function quantity(q) {
  if (!isObject(q) || typeof q.value !== 'number' || !Number.isFinite(q.value)) return null;
  const value = String(q.value);
  const unit = str(q.unit) ?? str(q.code);
  const cmp = str(q.comparator) ?? '';
  return unit ? `${cmp}${value} ${unit}` : `${cmp}${value}`;
}

function period(p) {
  if (!isObject(p)) return null;
  const start = str(p.start);
  const end = str(p.end);
  if (start && end) return `${start} to ${end}`;
  if (start) return `from ${start}`;
  return end ? `until ${end}` : null;
}

function range(r) {
  if (!isObject(r)) return null;
  const low = quantity(r.low);
  const high = quantity(r.high);
  if (low && high) return `${low} to ${high}`;
  return low ? `at least ${low}` : high ? `at most ${high}` : null;
}

/** The value of a `value[x]` (or `effective[x]`, `onset[x]` …) choice element of `res`. */
export function choice(res, stem) {
  const shapes = {
    Quantity: quantity,
    CodeableConcept: concept,
    Coding: coding,
    String: scalar,
    Boolean: scalar,
    Integer: scalar,
    DateTime: scalar,
    Date: scalar,
    Time: scalar,
    Instant: scalar,
    Age: quantity,
    Period: period,
    Range: range,
    Ratio: (r) => (isObject(r) && quantity(r.numerator) && quantity(r.denominator)
      ? `${quantity(r.numerator)} / ${quantity(r.denominator)}`
      : null),
    Reference: (r) => (isObject(r) ? str(r.display) ?? str(r.reference) : null),
  };
  for (const [suffix, show] of Object.entries(shapes)) {
    if (`${stem}${suffix}` in res) return show(res[`${stem}${suffix}`]);
  }
  return null;
}

/** A HumanName as `given family` (or its text). */
export function humanName(n) {
  if (!isObject(n)) return null;
  const text = str(n.text);
  if (text) return text;
  const parts = [...list(n.prefix), ...list(n.given), n.family, ...list(n.suffix)];
  const words = parts.map(str).filter(Boolean);
  return words.length ? words.join(' ') : null;
}

function address(a) {
  if (!isObject(a)) return null;
  const text = str(a.text);
  if (text) return text;
  const parts = [...list(a.line), a.postalCode, a.city, a.state, a.country];
  const words = parts.map(str).filter(Boolean);
  return words.length ? words.join(', ') : null;
}

function telecom(t) {
  if (!isObject(t) || !str(t.value)) return null;
  return str(t.system) ? `${t.value} (${t.system})` : t.value;
}

function identifier(i) {
  if (!isObject(i) || !str(i.value)) return null;
  return str(i.system) ? `${i.value} (${i.system})` : i.value;
}

function notes(res) {
  return list(res.note).map((n) => (isObject(n) ? str(n.text) : null)).filter(Boolean);
}

function joined(values) {
  const shown = values.filter(Boolean);
  return shown.length ? shown.join('; ') : null;
}

const FACTS = {
  Patient: (r) => [
    ['Name', joined(list(r.name).map(humanName))],
    ['Birth date', str(r.birthDate)],
    ['Gender', str(r.gender)],
    ['Identifier', joined(list(r.identifier).map(identifier))],
    ['Contact', joined(list(r.telecom).map(telecom))],
    ['Address', joined(list(r.address).map(address))],
  ],
  Observation: (r) => [
    ['What', concept(r.code)],
    ['Value', choice(r, 'value')],
    ['Interpretation', joined(list(r.interpretation).map(concept))],
    ['When', choice(r, 'effective') ?? str(r.issued)],
    ['Status', str(r.status)],
  ],
  Immunization: (r) => [
    ['Vaccine', concept(r.vaccineCode)],
    ['Date', choice(r, 'occurrence')],
    ['Status', str(r.status)],
    ['Lot number', str(r.lotNumber)],
  ],
  AllergyIntolerance: (r) => [
    ['Substance', concept(r.code)],
    ['Verification', concept(r.verificationStatus)],
    ['Clinical status', concept(r.clinicalStatus)],
    ['Criticality', str(r.criticality)],
    ['Category', joined(list(r.category).map(str))],
    [
      'Reactions',
      joined(list(r.reaction).flatMap((x) => (isObject(x) ? list(x.manifestation).map(concept) : []))),
    ],
    ['Recorded', str(r.recordedDate)],
  ],
  Condition: (r) => [
    ['Condition', concept(r.code)],
    ['Clinical status', concept(r.clinicalStatus)],
    ['Verification', concept(r.verificationStatus)],
    ['Onset', choice(r, 'onset')],
    ['Recorded', str(r.recordedDate)],
  ],
  MedicationStatement: (r) => [
    ['Medication', choice(r, 'medication')],
    ['Status', str(r.status)],
    ['Dosage', joined(list(r.dosage).map((d) => (isObject(d) ? str(d.text) : null)))],
    ['When', choice(r, 'effective')],
    ['Reason', joined(list(r.reasonCode).map(concept))],
  ],
};

/**
 * The resources of a Bundle as `[{type, title, facts: [[label, text]]}]`, in bundle
 * order; notes last among each resource's facts.
 */
export function summarize(bundle) {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') return [];
  return list(bundle.entry).flatMap((e) => {
    const res = isObject(e) && isObject(e.resource) ? e.resource : null;
    if (!res || typeof res.resourceType !== 'string') return [];
    const type = res.resourceType;
    const facts = (FACTS[type] ?? (() => []))(res);
    for (const n of notes(res)) facts.push(['Note', n]);
    return [{ type, title: TITLES[type] ?? type, facts: facts.filter(([, v]) => v !== null) }];
  });
}

/** A one-line description of a record: `7 entries: Patient, Observation × 2, …`. */
export function outline(bundle) {
  const items = summarize(bundle);
  const counts = new Map();
  for (const { title } of items) counts.set(title, (counts.get(title) ?? 0) + 1);
  const parts = [...counts].map(([t, n]) => (n > 1 ? `${t} × ${n}` : t));
  return `${items.length} ${items.length === 1 ? 'entry' : 'entries'}: ${parts.join(', ')}`;
}
