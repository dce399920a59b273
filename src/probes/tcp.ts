// `_bi_socket`: a TCP connect, closed at once.
import { connect } from 'node:net';
import { exchange } from './exchange.js';
import type { Probe } from './types.js';

// Alive when the connection is established; exchange destroys the socket as soon as it settles.
export const tcpProbe: Probe = (target) =>
  exchange(target, () => connect({ host: target.host, port: target.port }), 'connect', (_socket, settle) =>
    settle({ ok: true, detail: 'connected' }),
  );
