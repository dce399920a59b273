// The one interface every stall probe implements (SPEC §3.4).

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  /** Request path for HTTP(S) probes; ignored by the TCP probe. */
  readonly path: string;
  /** One deadline for name lookup, connect, TLS handshake, request and the first response line. */
  readonly timeoutMs: number;
  /** HTTPS only. Without it, or with verify false, the certificate is not checked. */
  readonly tls?: {
    readonly verify: boolean;
    /** PEM text of the CA(s) to trust instead of the default roots. */
    readonly ca?: string;
    /** SNI and the name the certificate must carry; defaults to host when host is a name. */
    readonly servername?: string;
  };
}

/**
 * Whose fault a failed probe is (docs/stall.md has the table): `server` (the server refused, dropped,
 * garbled or never gave its answer) counts toward a stall; `unknown` (the probe never reached the
 * server, or pcheck's own policy refused a live answer) never does.
 */
export type ProbeFault = 'server' | 'unknown';

export type ProbeResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly error: string; readonly fault: ProbeFault };

/** Never rejects, and settles by target.timeoutMs at the latest. */
export type Probe = (target: ProbeTarget) => Promise<ProbeResult>;
