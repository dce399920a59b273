// `_bi_webserv`: HEAD over plain TCP.
import { connect } from 'node:net';
import { headProbe } from './head.js';
import type { Probe } from './types.js';

// Alive when the server answers HEAD with any HTTP status line.
export const httpProbe: Probe = (target) =>
  headProbe(target, 80, 'connect', () => connect({ host: target.host, port: target.port }));
