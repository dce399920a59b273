// The demo server pcheck watches in the quick start: a tiny HTTP server named "pcheck-demo".
// PCHECK_DEMO_PORT sets the port (8089); PCHECK_DEMO_TLS_DIR, a directory holding cert.pem and
// key.pem, makes it serve HTTPS (for the _bi_webservs sample).
import { readFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';

process.title = 'pcheck-demo';
const port = Number(process.env.PCHECK_DEMO_PORT ?? 8089);
const tlsDir = process.env.PCHECK_DEMO_TLS_DIR;
const started = new Date().toISOString();

function answer(request, response) {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end(request.method === 'HEAD' ? undefined : `pcheck demo server, pid ${process.pid}, up since ${started}\n`);
}

const server = tlsDir
  ? createHttps({ cert: readFileSync(`${tlsDir}/cert.pem`), key: readFileSync(`${tlsDir}/key.pem`) }, answer)
  : createHttp(answer);
server.listen(port, '127.0.0.1', () => {
  console.log(`pcheck-demo: pid ${process.pid} listening on ${tlsDir ? 'https' : 'http'}://127.0.0.1:${port}/`);
});
