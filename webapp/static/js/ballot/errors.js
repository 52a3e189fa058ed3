/**
 * The failures of the ballot cryptography (docs/crypto.md §1), as in crypto/errors.py.
 *
 * `InvalidEncoding`: bytes that are not a scalar, a point, a ciphertext or a
 * proof of the expected shape (§2). `InvalidProof`: a proof that does not
 * verify (§4). `InvalidBallot`: a ballot, challenge or eligibility that breaks a
 * rule of docs/voting.md §4–§6 (its `code` is the domain's error code).
 */

export class InvalidEncoding extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidEncoding';
  }
}

export class InvalidProof extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvalidProof';
  }
}

export class InvalidBallot extends Error {
  /** @param {string} code the domain's error code (services/voting/errors.py) */
  constructor(code, message) {
    super(message);
    this.name = 'InvalidBallot';
    this.code = code;
  }
}
