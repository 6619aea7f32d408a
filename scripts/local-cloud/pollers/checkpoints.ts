import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where each stream poller has got to, per mapping and shard. In memory, or in a JSON file under
 * `--persist` so a restart neither drops nor repeats records.
 */
export class CheckpointStore {
  private readonly positions: Record<string, string>;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;

  private readonly file: string | undefined;

  constructor(file?: string) {
    this.file = file;
    this.positions = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  }

  get(mappingId: string, shardId: string): string | undefined {
    return this.positions[`${mappingId}/${shardId}`];
  }

  set(mappingId: string, shardId: string, sequenceNumber: string): void {
    this.positions[`${mappingId}/${shardId}`] = sequenceNumber;
    if (!this.file) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => this.flush(), 200);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.file || !this.dirty) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, JSON.stringify(this.positions, null, 2));
    this.dirty = false;
  }
}
