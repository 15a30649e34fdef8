/**
 * raretrace transparency-log library: RFC 9162 Merkle trees, C2SP tlog-tiles, signed notes, checkpoints,
 * cosignatures, witnesses and proof bundles. Pure and storage-independent (the witness state file is the one
 * piece of I/O).
 */

export * from './bench.js';
export * from './checkpoint.js';
export * from './cosignature.js';
export * from './leaf.js';
export * from './merkle.js';
export * from './note.js';
export * from './proof-bundle.js';
export * from './tiles.js';
export * from './witness.js';
