// Where a configured folder (the log paths of Set-TransportService) is: an
// absolute path as given, a relative one inside the server's data directory.

import { isAbsolute, join } from 'node:path';

export function resolveDataPath(dataDir: string, path: string): string {
  return isAbsolute(path) ? path : join(dataDir, path);
}
