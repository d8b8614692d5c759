// Public API of the pure SMTP server protocol engine: framing, parsing,
// sequencing, SASL and replies. No sockets, timers or policy live here; the
// inbound runtime wires these together and owns I/O and decisions.

export * from './reply.js';
export * from './banner.js';
export * from './ehlo.js';
export * from './address.js';
export * from './esmtp-params.js';
export * from './command.js';
export * from './reader.js';
export * from './auth.js';
export * from './session-state.js';
