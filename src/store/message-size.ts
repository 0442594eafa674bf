/** The size limits every store enforces before writing a message, whatever the engine. */
import { tooLarge } from '../errors.js';
import { LIMITS } from '../bus/message.js';
import type { NewMessage } from './records.js';

/** Rejects a message that breaks a size limit, naming the limit. Returns the serialised data. */
export function checkSize(message: Pick<NewMessage, 'summary' | 'data' | 'from' | 'to' | 'type'>): string {
  if (message.summary.length > LIMITS.summaryChars) {
    throw tooLarge(`summary is ${message.summary.length} characters; the limit is ${LIMITS.summaryChars}`);
  }
  const data = JSON.stringify(message.data);
  const dataBytes = Buffer.byteLength(data);
  if (dataBytes > LIMITS.dataBytes) {
    throw tooLarge(`data is ${dataBytes} bytes as JSON; the limit is ${LIMITS.dataBytes} bytes`);
  }
  const total =
    dataBytes +
    Buffer.byteLength(message.summary) +
    Buffer.byteLength(message.from) +
    Buffer.byteLength(message.to) +
    Buffer.byteLength(message.type);
  if (total > LIMITS.messageBytes) {
    throw tooLarge(`message is ${total} bytes in all; the limit is ${LIMITS.messageBytes} bytes`);
  }
  return data;
}
