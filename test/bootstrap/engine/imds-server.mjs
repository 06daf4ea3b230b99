// Fake IMDSv2 for the real-engine bootstrap suite: runs inside the test's IMDS network namespace
// on 169.254.169.254:80 and serves what the fixture file (re-read on every request) says.
// Usage: node imds-server.mjs <fixture.json> <ready-file>
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [fixturePath, readyPath] = process.argv.slice(2);
const TOKEN = 'fake-imds-token';
const server = createServer((req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };
  const url = req.url ?? '/';
  if (url === '/latest/api/token') {
    return req.method === 'PUT' && req.headers['x-aws-ec2-metadata-token-ttl-seconds'] ? send(200, TOKEN) : send(400, 'Bad Request');
  }
  if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) return send(401, 'Unauthorized');
  const f = JSON.parse(readFileSync(fixturePath, 'utf8'));
  const base = `/latest/meta-data/network/interfaces/macs/${f.mac}/`;
  const routes = {
    '/latest/meta-data/instance-id': f.instanceId,
    '/latest/meta-data/mac': f.mac,
    '/latest/meta-data/local-ipv4': f.primaryIp,
    [`${base}local-ipv4s`]: f.localIps.join('\n'),
    [`${base}subnet-ipv4-cidr-block`]: f.cidr,
    // Pretty-printed, one key per line, as IMDS serves it.
    '/latest/dynamic/instance-identity/document': JSON.stringify({ accountId: f.accountId, instanceId: f.instanceId, region: f.region }, null, 2).replace(/": /g, '" : '),
    '/latest/meta-data/services/partition': f.partition,
  };
  const pubs = Object.keys(f.associations);
  if (pubs.length > 0) routes[`${base}ipv4-associations/`] = pubs.join('\n');
  for (const [pub, priv] of Object.entries(f.associations)) routes[`${base}ipv4-associations/${pub}`] = priv;
  const body = routes[url];
  return body === undefined ? send(404, 'Not Found') : send(200, body);
});
server.listen(80, '169.254.169.254', () => writeFileSync(readyPath, String(process.pid)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
