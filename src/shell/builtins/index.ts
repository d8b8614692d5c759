// The built-in commands of the shell (PowerShell's own cmdlets that Exchange
// admins use) and the views of the objects they return.

import type { CommandSpec } from '../command.js';
import type { ObjectView } from '../values.js';
import { convertToSecureString, getCredential, readHost } from './credential.js';
import { forEachObject } from './foreach.js';
import { formatList, formatTable, outHost, outNull, outString } from './format.js';
import { commandInfoView, getCommand } from './get-command.js';
import { getHelp } from './get-help.js';
import { clearHistory, getHistory, historyInfoView, invokeHistory } from './history.js';
import { getMemberCommand } from './get-member.js';
import { measureObject } from './measure.js';
import { newObject } from './new-object.js';
import { clearHost, getDate, writeHost, writeOutput, writeVerbose, writeWarning } from './output.js';
import { selectObject } from './select.js';
import { sortObject } from './sort.js';
import { whereObject } from './where.js';
import { convertFromCsv, convertToCsv, exportCsv, importCsv } from './csv.js';
import { addContent, fileSystemItemViews, getContent, joinPath, newItem, outFile, removeItem, setContent, splitPath, startSleep, teeObject, testPath } from './files.js';
import { groupInfoView, groupObject } from './group.js';
import { convertToHtml } from './html.js';
import { convertFromJson, convertToJson } from './json.js';
import { getAlias, newTimeSpan, versionView, writeError, writeProgress } from './utility.js';

export const builtinCommands: CommandSpec[] = [
  formatList,
  formatTable,
  outString,
  outNull,
  outHost,
  selectObject,
  whereObject,
  sortObject,
  measureObject,
  forEachObject,
  getCommand,
  getHelp,
  getMemberCommand,
  getCredential,
  convertToSecureString,
  readHost,
  newObject,
  writeOutput,
  writeHost,
  writeWarning,
  writeVerbose,
  clearHost,
  getDate,
  getHistory,
  invokeHistory,
  clearHistory,
  outFile,
  setContent,
  addContent,
  getContent,
  testPath,
  teeObject,
  startSleep,
  joinPath,
  splitPath,
  newItem,
  removeItem,
  exportCsv,
  importCsv,
  convertToCsv,
  convertFromCsv,
  convertToJson,
  convertFromJson,
  convertToHtml,
  groupObject,
  writeError,
  writeProgress,
  newTimeSpan,
  getAlias,
];

export const builtinViews: ObjectView[] = [
  commandInfoView,
  historyInfoView,
  groupInfoView,
  versionView,
  ...fileSystemItemViews,
  { typeName: 'HelpInfoShort', display: 'table', table: [{ property: 'Name', width: 33 }, { property: 'Category', width: 9 }, { property: 'Synopsis' }] },
];
