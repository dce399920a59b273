// The demo server pcheck watches in the quick start: a tiny HTTP server named "pcheck-demo".
import { createServer } from 'node:http';

process.title = 'pcheck-demo';
const port = Number(process.env.PCHECK_DEMO_PORT ?? 8089);
const started = new Date().toISOString();

createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end(request.method === 'HEAD' ? undefined : `pcheck demo server, pid ${process.pid}, up since ${started}\n`);
}).listen(port, '127.0.0.1', () => {
  console.log(`pcheck-demo: pid ${process.pid} listening on http://127.0.0.1:${port}/`);
});
