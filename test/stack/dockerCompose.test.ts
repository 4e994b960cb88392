import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The `ports:` entries of one service in a compose file (flow list or block list), read line by line. */
function publishedPorts(file: string, service: string): string[] {
  const lines = readFileSync(resolve(__dirname, '..', '..', file), 'utf8').split('\n');
  const start = lines.findIndex((l) => l === `  ${service}:`);
  if (start < 0) throw new Error(`no service ${service} in ${file}`);
  const end = lines.findIndex((l, i) => i > start && /^ {0,2}\S/.test(l));
  const block = lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => !l.trim().startsWith('#'));
  const ports: string[] = [];
  block.forEach((line, i) => {
    const flow = /^\s+ports:\s*\[(.*)\]/.exec(line);
    if (flow) ports.push(...flow[1].split(',').map((p) => p.trim().replace(/^["']|["']$/g, '')));
    else if (/^\s+ports:\s*$/.test(line))
      for (let j = i + 1; j < block.length && /^\s+- /.test(block[j]); j++)
        ports.push(
          block[j]
            .replace(/^\s+- /, '')
            .trim()
            .replace(/^["']|["']$/g, ''),
        );
  });
  return ports;
}

describe('docker-compose publishes Temporal on this machine only', () => {
  it.each(['temporal', 'temporal-ui'])('%s is published on 127.0.0.1 only', (service) => {
    const ports = publishedPorts('docker-compose.yml', service);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('says how to secure them', () => {
    const compose = readFileSync(resolve(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/mTLS/);
    expect(compose).toMatch(/API key/);
    expect(compose).toMatch(/SSO/);
  });

  it('the simulators overlay publishes no Temporal port', () => {
    for (const service of ['temporal', 'temporal-ui']) expect(() => publishedPorts('docker-compose.simulators.yml', service)).toThrow(/no service/);
  });
});
