// The probe for each stall-block kind.
import type { StallKind } from '../pfile/types.js';
import { httpProbe } from './http.js';
import { httpsProbe } from './https.js';
import { tcpProbe } from './tcp.js';
import type { Probe } from './types.js';

// `_bi_webserv` → web, `_bi_webservs` → ssl, `_bi_socket` → skt.
export const PROBES: Readonly<Record<StallKind, Probe>> = { web: httpProbe, ssl: httpsProbe, skt: tcpProbe };
