// The session identifiers of the logs (protocol logs, connectivity log, agent
// log): 16 upper-case hex digits, the time in milliseconds (12 digits) then a
// per-source counter (4 digits, wrapping), so identifiers sort by start time
// and two sessions started in the same millisecond still differ.

export class SessionIds {
  private counter = 0;

  next(): string {
    this.counter = (this.counter + 1) % 0x10000;
    return `${Date.now().toString(16).toUpperCase().padStart(12, '0')}${this.counter.toString(16).toUpperCase().padStart(4, '0')}`;
  }
}
