// The agent log an Edge wrote (Logs/AgentLog/AGENTLOG*.LOG under its folder), every file joined.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function readAgentLog(dataDir: string): string {
  const folder = join(dataDir, 'Logs', 'AgentLog');
  return existsSync(folder)
    ? readdirSync(folder)
        .filter((f) => f.startsWith('AGENTLOG'))
        .sort()
        .map((f) => readFileSync(join(folder, f), 'utf8'))
        .join('')
    : '';
}
