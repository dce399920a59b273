// `_bi_webservs`: HEAD over TLS 1.2/1.3; the certificate is checked only when target.tls.verify is set.
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { headProbe } from './head.js';
import type { Probe } from './types.js';

// Alive when the server completes a TLS handshake and answers HEAD with any HTTP status line.
export const httpsProbe: Probe = (target) =>
  headProbe(target, 443, 'secureConnect', () =>
    connect({
      host: target.host,
      port: target.port,
      // SNI may not carry an IP address (RFC 6066); the host name check then uses host itself
      servername: target.tls?.servername ?? (isIP(target.host) === 0 ? target.host : undefined),
      rejectUnauthorized: target.tls?.verify ?? false,
      ca: target.tls?.ca,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
    }),
  );
