/**
 * zlib's gunzip, fed piece by piece, that hands back with each piece exactly the text that
 * piece decoded to. Knowing that is what lets an error name the true offset of the damage in
 * the text (fault-offset.ts), not the end of the last chunk the stream happened to emit.
 *
 * The stream is read in paused mode: its output is drained on 'readable' and again when a
 * write completes. zlib pushes all the output of a write before it calls the write back, so at
 * that moment everything decoded so far has been drained, and nothing of the next piece has.
 */
import { createGunzip, type Gunzip } from 'node:zlib';

export class PieceInflater {
  private readonly z: Gunzip;
  private out: Buffer[] = [];
  private error: Error | undefined;
  private rejectPending: ((err: Error) => void) | undefined;
  private ended = false;

  constructor() {
    this.z = createGunzip({ chunkSize: 1 << 20 });
    this.z.on('readable', () => this.drain());
    this.z.on('error', (err) => {
      this.error = err;
      this.rejectPending?.(err);
    });
    this.z.on('end', () => {
      this.ended = true;
    });
  }

  private drain(): void {
    let b: Buffer | null;
    while ((b = this.z.read() as Buffer | null) !== null) this.out.push(b);
  }

  /** Feeds `piece`; resolves with the text it decoded to, or rejects with zlib's error. */
  write(piece: Buffer): Promise<Buffer[]> {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.rejectPending = reject;
      this.z.write(piece, (err) => {
        this.rejectPending = undefined;
        if (err || this.error) return reject(this.error ?? err);
        this.drain();
        resolve(this.out.splice(0));
      });
    });
  }

  /** Ends the input; resolves with the last text, or rejects (a stream cut short, a failed check). */
  end(): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      if (this.error) return reject(this.error);
      if (this.ended) return resolve(this.out.splice(0));
      this.rejectPending = reject;
      this.z.once('end', () => {
        this.rejectPending = undefined;
        this.drain();
        resolve(this.out.splice(0));
      });
      this.z.end();
    });
  }

  destroy(): void {
    this.z.destroy();
  }
}
