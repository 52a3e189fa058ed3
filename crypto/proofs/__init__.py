"""Non-interactive zero-knowledge proofs over the ballot group (docs/crypto.md §4).

One proof a module: `schnorr` (knowledge of a discrete log), `dleq`
(Chaum–Pedersen equality of discrete logs), `range` (disjunctive CDS proof that
a ciphertext encrypts one of lower..upper), `decryption` (correct decryption
shares). Each takes a `crypto.transcript.Transcript` already bound to its
protocol, context and prover, appends its own name and statement, and encodes
challenges and responses as 32-byte scalars.
"""
