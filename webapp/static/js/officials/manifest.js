/**
 * The "create an election" form's values → the manifest (docs/voting.md §1), with
 * the rules of services/voting/manifest.py `Manifest.from_json` checked in the page
 * so that the official sees which field is wrong before anything is signed. The
 * board checks them again (and what needs the board: the trustees are registered
 * trustee authorities, the issuer and schema exist, the ballot size) and its
 * refusal is shown as it comes.
 *
 * Also: trustee cards (`pnyx trustee init` writes them, `PnyxTrusteeCard`), the
 * roll of voter keys as pasted, credential attributes and predicates as lines of
 * text, and times from `<input type="datetime-local">` read as UTC.
 */

export const ELECTION_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const CONTEST_ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const ISSUER_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const SCHEMA_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const ATTRIBUTE_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const HEX64_RE = /^[0-9a-f]{64}$/;
export const DATE_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
export const MAX_CONTESTS = 16;
export const MAX_OPTIONS = 64;
export const MAX_TRUSTEES = 32;
export const MAX_ROLL = 1000;
export const MAX_REQUIREMENTS = 8;
export const CARD_TYPE = 'PnyxTrusteeCard';
export const OPS = ['<=', '>='];

/** A form value the manifest cannot take; `field` names the form field (dotted path). */
export class ManifestError extends Error {
  constructor(field, message) {
    super(message);
    this.name = 'ManifestError';
    this.field = field;
  }
}

const bad = (field, message) => new ManifestError(field, message);

function text(value, field, what, hi = 200) {
  const s = typeof value === 'string' ? value.trim() : '';
  if (s.length < 1 || s.length > hi) throw bad(field, `${what} is 1 to ${hi} characters`);
  if ([...s].some((c) => c.codePointAt(0) < 0x20 || c.codePointAt(0) === 0x7f)) {
    throw bad(field, `${what} is one line without control characters`);
  }
  return s;
}

function integer(value, field, what, lo, hi) {
  const s = String(value ?? '').trim();
  if (!/^-?[0-9]+$/.test(s)) throw bad(field, `${what} is a whole number`);
  const n = Number(s);
  if (n < lo || n > hi) throw bad(field, `${what} is between ${lo} and ${hi}`);
  return n;
}

function lines(value) {
  return String(value ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/**
 * `YYYY-MM-DDTHH:MM[:SS]` (a datetime-local value, read as UTC) or a full
 * `YYYY-MM-DDTHH:MM:SSZ` → `YYYY-MM-DDTHH:MM:SSZ`.
 */
export function utcTime(value, field, what) {
  const s = String(value ?? '').trim();
  const m = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}:[0-9]{2})(:[0-9]{2})?(\.[0-9]+)?Z?$/.exec(s);
  if (!m) throw bad(field, `${what} is a date and time (UTC)`);
  const out = `${m[1]}T${m[2]}${m[3] ?? ':00'}Z`;
  const d = new Date(out);
  if (Number.isNaN(d.getTime()) || d.toISOString().replace(/\.\d{3}Z$/, 'Z') !== out) {
    throw bad(field, `${what} is not a real date and time`);
  }
  return out;
}

/** A `Date` as a datetime-local value in UTC (`YYYY-MM-DDTHH:MM:SS`). */
export function localValue(date) {
  return date.toISOString().slice(0, 19);
}

// ---------------------------------------------------------------- contests

/** One contest of the form: `{id, title, options (one a line), min, max, blank}`. */
export function contestOf(form, n) {
  const f = `contests.${n}`;
  const id = String(form.id ?? '').trim();
  if (!CONTEST_ID_RE.test(id)) {
    throw bad(`${f}.id`, 'a contest id is lowercase letters, digits, - and _ (up to 64)');
  }
  const title = text(form.title, `${f}.title`, 'a contest title');
  const options = Array.isArray(form.options) ? form.options.map((o) => String(o).trim()) : lines(form.options);
  if (options.length < 1 || options.length > MAX_OPTIONS) {
    throw bad(`${f}.options`, `a contest has 1 to ${MAX_OPTIONS} options, one a line`);
  }
  options.forEach((o) => text(o, `${f}.options`, 'an option'));
  if (new Set(options).size !== options.length) throw bad(`${f}.options`, 'an option is named twice');
  const blank = Boolean(form.blank);
  const m = options.length + (blank ? 1 : 0);
  const max = integer(form.max, `${f}.max`, 'the most choices', 1, m);
  const min = integer(form.min, `${f}.min`, 'the fewest choices', 0, max);
  return { id, title, options, min, max, blank };
}

// -------------------------------------------------------------- eligibility

/** The roll as pasted: Ed25519 public keys (64 hex), one a line or a JSON list. */
export function rollOf(value) {
  let keys;
  const s = String(value ?? '').trim();
  if (s.startsWith('[')) {
    try {
      keys = JSON.parse(s);
    } catch {
      throw bad('roll', 'the roll is not a JSON list of keys');
    }
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
      throw bad('roll', 'the roll is a list of keys');
    }
  } else {
    keys = s.split(/[\s,]+/).filter((k) => k.length > 0);
  }
  keys = keys.map((k) => k.trim().toLowerCase());
  if (keys.length < 1 || keys.length > MAX_ROLL) {
    throw bad('roll', `a roll lists 1 to ${MAX_ROLL} voter keys`);
  }
  keys.forEach((k, i) => {
    if (!HEX64_RE.test(k)) throw bad('roll', `key ${i + 1} of the roll is not 64 hex digits`);
  });
  if (new Set(keys).size !== keys.length) throw bad('roll', 'the roll lists a key twice');
  return { type: 'roll', voters: keys };
}

/** A required attribute value, typed by the schema when known (integer, boolean, else text). */
export function attributeValue(raw, type) {
  const v = raw.trim();
  if (type === 'integer' || (type === undefined && /^-?[0-9]+$/.test(v))) {
    if (!/^-?[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) return null;
    return Number(v);
  }
  if (type === 'boolean' || (type === undefined && (v === 'true' || v === 'false'))) {
    return v === 'true' ? true : v === 'false' ? false : null;
  }
  return v;
}

/**
 * The credential rule: `{issuer, schema, attributes ("name = value" a line),
 * predicates ("attribute <= value" a line), date, types ({attribute: type})}`.
 */
export function credentialOf(form) {
  const issuer = String(form.issuer ?? '').trim();
  if (!ISSUER_RE.test(issuer)) throw bad('issuer', 'the issuer is the name of an issuer authority');
  const schema = String(form.schema ?? '').trim();
  if (!SCHEMA_RE.test(schema)) throw bad('schema', 'the schema is the id of the issuer\'s schema');
  const types = form.types ?? {};
  const attributes = {};
  const attrLines = lines(form.attributes);
  if (attrLines.length > MAX_REQUIREMENTS) {
    throw bad('attributes', `at most ${MAX_REQUIREMENTS} required attributes`);
  }
  for (const line of attrLines) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.+)$/.exec(line);
    if (!m || !ATTRIBUTE_RE.test(m[1])) {
      throw bad('attributes', `"${line}" is not "attribute = value"`);
    }
    if (m[1] in attributes) throw bad('attributes', `${m[1]} is required twice`);
    const value = attributeValue(m[2], types[m[1]]);
    if (value === null) throw bad('attributes', `${m[1]} needs a ${types[m[1]]} value`);
    attributes[m[1]] = value;
  }
  const predLines = lines(form.predicates);
  if (predLines.length > MAX_REQUIREMENTS) {
    throw bad('predicates', `at most ${MAX_REQUIREMENTS} predicates`);
  }
  const predicates = predLines.map((line) => {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*(<=|>=)\s*(.+)$/.exec(line);
    if (!m || !ATTRIBUTE_RE.test(m[1])) {
      throw bad('predicates', `"${line}" is not "attribute <= value" or "attribute >= value"`);
    }
    if (m[1] in attributes) {
      throw bad('predicates', `${m[1]} is both required to be shown and in a predicate`);
    }
    const raw = m[3].trim();
    const value = /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw bad('predicates', `the bound of ${m[1]} is too large`);
    }
    return { attribute: m[1], op: m[2], value };
  });
  const date = String(form.date ?? '').trim();
  if (!DATE_RE.test(date) || Number.isNaN(new Date(`${date}T00:00:00Z`).getTime())) {
    throw bad('date', 'the election day is a date YYYY-MM-DD');
  }
  return { type: 'credential', issuer, schema, attributes, predicates, date };
}

// ----------------------------------------------------------------- trustees

/**
 * A trustee card (`pnyx trustee init ELECTION --as T --out CARD`):
 * `{"version": 1, "type": "PnyxTrusteeCard", election, trustee, key_id, box}`.
 * Returns `{trustee, key_id, box}`; refuses a card of another election.
 */
export function parseTrusteeCard(textValue, election) {
  let card;
  try {
    card = JSON.parse(textValue);
  } catch {
    throw bad('trustees', 'the card is not JSON');
  }
  if (!card || card.type !== CARD_TYPE || card.version !== 1) {
    throw bad('trustees', 'this is not a trustee card (PnyxTrusteeCard)');
  }
  if (!HEX64_RE.test(card.key_id ?? '') || !HEX64_RE.test(card.box ?? '')) {
    throw bad('trustees', 'the card\'s key id and box key are 64 hex digits each');
  }
  if (election && card.election !== election) {
    throw bad('trustees', `this card is for election ${card.election}, not ${election}`);
  }
  return { trustee: String(card.trustee ?? ''), key_id: card.key_id, box: card.box };
}

/** The manifest's trustees from `[{key_id, box}]` in index order, and k. */
export function trusteesOf(rows, threshold) {
  if (!Array.isArray(rows) || rows.length < 1 || rows.length > MAX_TRUSTEES) {
    throw bad('trustees', `pick 1 to ${MAX_TRUSTEES} trustees`);
  }
  const trustees = rows.map((r, i) => {
    const box = String(r.box ?? '').trim().toLowerCase();
    if (!HEX64_RE.test(r.key_id ?? '')) throw bad('trustees', `trustee ${i + 1} has no key id`);
    if (!HEX64_RE.test(box)) {
      throw bad(`trustees.${i}.box`, `trustee ${i + 1}'s box key is 64 hex digits (from its card)`);
    }
    return { index: i + 1, key_id: r.key_id, box };
  });
  if (new Set(trustees.map((t) => t.key_id)).size !== trustees.length) {
    throw bad('trustees', 'a trustee is listed twice');
  }
  if (new Set(trustees.map((t) => t.box)).size !== trustees.length) {
    throw bad('trustees', 'two trustees have the same box key');
  }
  const k = integer(threshold, 'threshold', 'the threshold k', 1, trustees.length);
  return { trustees, threshold: k };
}

// ----------------------------------------------------------------- manifest

/** The manifest (docs/voting.md §1) from the form's values. */
export function buildManifest(form) {
  const id = String(form.id ?? '').trim();
  if (!ELECTION_ID_RE.test(id)) {
    throw bad('id', 'the election id is lowercase letters, digits, ".", "-" and "_" (up to 64)');
  }
  const title = text(form.title, 'title', 'the title');
  const forms = form.contests ?? [];
  if (forms.length < 1 || forms.length > MAX_CONTESTS) {
    throw bad('contests', `an election has 1 to ${MAX_CONTESTS} contests`);
  }
  const contests = forms.map((c, n) => contestOf(c, n));
  const seen = new Set();
  contests.forEach((c, n) => {
    if (seen.has(c.id)) throw bad(`contests.${n}.id`, `two contests have the id ${c.id}`);
    seen.add(c.id);
  });
  let eligibility;
  if (form.eligibility === 'roll') eligibility = rollOf(form.roll);
  else if (form.eligibility === 'credential') eligibility = credentialOf(form.credential ?? {});
  else throw bad('eligibility', 'choose who may vote: a roll of keys or a credential');
  if (form.revote !== 'last' && form.revote !== 'deny') {
    throw bad('revote', 'choose what a second ballot of the same voter does');
  }
  const { trustees, threshold } = trusteesOf(form.trustees, form.threshold);
  const opens = utcTime(form.opens, 'opens', 'the opening time');
  const closes = utcTime(form.closes, 'closes', 'the closing time');
  if (!(opens < closes)) throw bad('closes', 'the election closes after it opens');
  return {
    version: 1,
    id,
    title,
    contests,
    eligibility,
    revote: form.revote,
    trustees,
    threshold,
    opens,
    closes,
  };
}
