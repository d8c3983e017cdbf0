// A progress bar with bytes and rate, drawn on stderr only when it is a TTY.
import { formatBytes, formatRate } from './format.js';

export class ProgressBar {
  private readonly total: number;
  private readonly label: string;
  private readonly started = process.hrtime.bigint();
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.label = label;
    this.total = total;
    this.enabled = Boolean(stream.isTTY) && !process.env.ARENASCOPE_NO_PROGRESS;
    this.stream = stream;
  }
  private readonly stream: NodeJS.WriteStream;

  update(done: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 80 && done < this.total) return;
    this.lastDraw = now;
    const secs = Number(process.hrtime.bigint() - this.started) / 1e9;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    this.stream.write(
      `\r${this.label} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${formatBytes(this.total)} ${formatRate(done, secs)}   `,
    );
  }

  finish(): void {
    if (this.enabled) this.stream.write('\n');
  }
}
