// Installs (if needed) and prints the path of the Temporal CLI: `npm run temporal:install`.
import { resolveTemporalCli } from '../src/testing/temporal-server';

const path = resolveTemporalCli({ verbose: true });
process.stdout.write(`${path}\n`);
