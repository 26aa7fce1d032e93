/**
 * A private single-node KRaft Kafka for tests that must restart or kill the broker: the shared
 * broker on 9092 serves every other test and is never touched. Same jars, config and command
 * line as the local stack (scripts/stack-control.ts), on free ports, with its own data and log
 * directory; `stop()` / `start()` restart it on the same ports and data, as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKafkaStorage, kafkaClasspath, kafkaJavaArgs, kafkaReady, writeKafkaConfig } from '../../scripts/stack-control.js';

import { freePort } from './free-port.js';

export { freePort };

export class OwnKafka {
  private proc: ChildProcess | undefined;
  private readonly cp: string;
  private readonly props: string;
  private readonly log4j: string;
  private readonly killOnExit = () => this.proc?.kill('SIGKILL');

  private constructor(
    readonly dir: string,
    readonly port: number,
    controllerPort: number,
  ) {
    this.cp = kafkaClasspath((line) => process.stderr.write(`[own-kafka] ${line}\n`));
    mkdirSync(dir, { recursive: true });
    ({ props: this.props, log4j: this.log4j } = writeKafkaConfig(dir, { kafka: port, controller: controllerPort }));
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** Formats a fresh broker in a new temp dir and starts it. */
  static async create(): Promise<OwnKafka> {
    const dir = mkdtempSync(join(tmpdir(), 'own-kafka-'));
    const port = await freePort();
    const controller = await freePort();
    const k = new OwnKafka(dir, port, controller);
    formatKafkaStorage(k.cp, k.props, k.log4j);
    try {
      await k.start();
    } catch (err) {
      await k.destroy(); // no broker left behind by a failed start
      throw err;
    }
    return k;
  }

  async start(timeoutMs = 120_000): Promise<void> {
    if (this.proc) return;
    const out = openSync(join(this.dir, 'kafka.log'), 'a');
    const proc = spawn('java', kafkaJavaArgs(this.cp, this.props, this.log4j, this.dir), { cwd: this.dir, stdio: ['ignore', out, out] });
    closeSync(out); // the child holds its own copy
    this.proc = proc;
    process.once('exit', this.killOnExit);
    const deadline = Date.now() + timeoutMs;
    while (!(await kafkaReady(this.port))) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`own kafka exited during start-up${this.logTail()}`);
      if (Date.now() > deadline) throw new Error(`own kafka not ready after ${timeoutMs} ms${this.logTail()}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** SIGTERM = a controlled shutdown (what a restart does); SIGKILL = a crash. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : once(proc, 'exit');
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
    process.removeListener('exit', this.killOnExit);
    this.proc = undefined;
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private logTail(): string {
    const file = join(this.dir, 'kafka.log');
    return existsSync(file) ? `\n${readFileSync(file, 'utf8').split('\n').slice(-20).join('\n')}` : '';
  }
}
