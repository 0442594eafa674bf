/**
 * Per-agent transcripts under `.maestro/agents/<id>/`: every line a worker prints, appended with
 * a timestamp, owner-only, rotated at a size bound so a chatty worker cannot fill the disk.
 * Known secret values (an API key a worker prints) are replaced before writing.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { scrub } from '../secrets.js';

export const TRANSCRIPT_MAX_BYTES = 8 * 1024 * 1024;

export function agentDir(dataDir: string, agentId: string): string {
  const dir = path.join(dataDir, 'agents', agentId);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  return dir;
}

export interface Transcript {
  append(kind: string, text: string): void;
}

export function openTranscript(dir: string, maxBytes = TRANSCRIPT_MAX_BYTES): Transcript {
  const file = path.join(dir, 'transcript.log');
  let size = existsSync(file) ? statSync(file).size : 0;
  return {
    append(kind, text) {
      const line = `${new Date().toISOString()} ${kind} ${scrub(text).replace(/\n/g, '\\n')}\n`;
      if (size + line.length > maxBytes && size > 0) {
        renameSync(file, `${file}.1`); // one previous generation is kept
        size = 0;
      }
      appendFileSync(file, line, { mode: 0o600 });
      size += Buffer.byteLength(line);
    },
  };
}

/** The last `lines` lines of an agent's transcript (the current file, then the rotated one). */
export function readTranscriptTail(dir: string, lines: number): string[] {
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);
  const file = path.join(dir, 'transcript.log');
  const all = [...read(`${file}.1`), ...read(file)];
  return all.slice(-lines);
}
