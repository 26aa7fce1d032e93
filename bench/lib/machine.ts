import { cpus, totalmem } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { serverVersion } from './pg.js';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  postgres: string;
  kafka: string;
  java: string | null;
  os: string;
}

function kafkaVersion(repo: string): string {
  for (const dir of ['tools/kafka/target/libs', 'tools/kafka/target/kafka-libs']) {
    try {
      const jar = readdirSync(`${repo}/${dir}`).find((f) => /^kafka-clients-[\d.]+\.jar$/.test(f));
      if (jar) return jar.replace(/^kafka-clients-|\.jar$/g, '');
    } catch {
      /* next */
    }
  }
  return 'unknown';
}

export async function machineInfo(repo: string): Promise<MachineInfo> {
  const jv = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const java = `${jv.stderr ?? ''}${jv.stdout ?? ''}`.split('\n')[0] || null;
  let os = process.platform as string;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    /* keep platform */
  }
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: await serverVersion(),
    kafka: kafkaVersion(repo),
    java,
    os,
  };
}
