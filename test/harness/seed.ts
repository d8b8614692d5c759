// The seed document's commands for the tests: the same reader the lab uses.

export { SEED_COPY, SEED_PATH, seedCommands } from '../../src/lab/seed-script.js';
